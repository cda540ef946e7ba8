/**
 * Pure statistics for the xds-scale benchmark: percentiles by the nearest-rank method (every
 * reported figure is a latency some stream really saw, never an interpolation between two).
 */

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The `p`-th percentile (0 < p ≤ 100) of `values` by nearest rank: the smallest value with at
 * least p% of the values at or below it. `values` need not be sorted; empty → NaN.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

export function summarize(values: readonly number[]): Summary {
  const count = values.length;
  const mean = count === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / count;
  return {
    count,
    min: count === 0 ? Number.NaN : values.reduce((a, b) => Math.min(a, b), Infinity),
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: count === 0 ? Number.NaN : values.reduce((a, b) => Math.max(a, b), -Infinity),
    mean,
  };
}

/** Nanosecond interval between two CLOCK_MONOTONIC readings, in milliseconds. */
export function elapsedMs(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}
