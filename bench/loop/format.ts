/** Number formatting shared by the report and the target checks. */

/** `x` with `digits` decimals and thousands separators; '—' for none or NaN, '∞' for infinity. */
export const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '—'
    : x === Number.POSITIVE_INFINITY
      ? '∞'
      : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
