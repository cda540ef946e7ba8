const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * `250ms`, `1.5s`, `2m`, `1h` → milliseconds, or the reason the text is not a duration.
 * One number and one unit only: compound forms (`1m30s`) read ambiguously next to `1.5m`,
 * and `90s` says the same. Results must be whole, positive milliseconds because that is the
 * resolution MeshConfig (and every timeout Envoy takes from us) carries.
 */
export function parseDuration(text: string): number | string {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match)
    return `expected a duration like 250ms, 1.5s or 2m (units ms, s, m, h), got '${text}'`;
  const value = Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
  const ms = Math.round(value);
  // Tolerance, not equality: 1.1 * 1000 is 1100.0000000000002 in floating point.
  if (Math.abs(ms - value) > 1e-6)
    return `duration '${text}' is not a whole number of milliseconds`;
  if (ms <= 0) return `duration '${text}' must be positive`;
  if (!Number.isSafeInteger(ms)) return `duration '${text}' is too long`;
  return ms;
}
