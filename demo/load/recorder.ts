/**
 * Keeps every {@link LoadResult} of an open-loop run in flat columns (cheap to hold, and typed
 * arrays cross process boundaries whole) and summarises any time window exactly: quantiles are
 * read from the sorted latencies, not from a histogram.
 */

import type { LoadResult } from './open-loop.ts';

/** The recorded results as columns; `upstream[i]` indexes `upstreams`, −1 for none. */
export interface Columns {
  readonly intendedMs: Float64Array;
  readonly latencyMs: Float64Array;
  readonly status: Uint16Array;
  readonly upstream: Int16Array;
  readonly upstreams: readonly string[];
}

export interface WindowSummary {
  readonly requests: number;
  /** Status 0 or ≥ 400. */
  readonly errors: number;
  readonly errorRate: number;
  /** Status in the recorder's timeout statuses. */
  readonly timeouts: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/**
 * The `q` quantile (0 < q ≤ 1) of ascending `sorted` by nearest rank: the smallest value with
 * at least q·n values at or below it (p999 of 1000 values is the 999th). NaN when empty.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile: q must be in (0, 1], got ${q}`);
  if (sorted.length === 0) return Number.NaN;
  // The epsilon keeps 0.99·1000 (= 990.0000000000001 in binary) at rank 990.
  const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
  return sorted[rank - 1] as number;
}

/**
 * Summary of the requests whose intended time is in [fromMs, toMs). Timeouts default to status
 * 0 (the generator gave up) and 504 (a proxy's upstream timeout): both mean no answer in time.
 */
export function summarize(
  columns: Columns,
  fromMs = Number.NEGATIVE_INFINITY,
  toMs = Number.POSITIVE_INFINITY,
  timeoutStatuses: readonly number[] = [0, 504],
): WindowSummary {
  return summarizeWindows([{ columns, range: [fromMs, toMs] }], timeoutStatuses);
}

/** {@link summarize} over several windows (e.g. one per repetition) pooled as one sample. */
export function summarizeWindows(
  windows: readonly { columns: Columns; range: readonly [number, number] }[],
  timeoutStatuses: readonly number[] = [0, 504],
): WindowSummary {
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  let sum = 0;
  for (const { columns, range } of windows) {
    const [fromMs, toMs] = range;
    for (let i = 0; i < columns.intendedMs.length; i++) {
      const at = columns.intendedMs[i] as number;
      if (at < fromMs || at >= toMs) continue;
      const status = columns.status[i] as number;
      const latency = columns.latencyMs[i] as number;
      latencies.push(latency);
      sum += latency;
      if (status === 0 || status >= 400) errors += 1;
      if (timeoutStatuses.includes(status)) timeouts += 1;
    }
  }
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  return {
    requests: n,
    errors,
    errorRate: n === 0 ? Number.NaN : errors / n,
    timeouts,
    meanMs: n === 0 ? Number.NaN : sum / n,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    p999Ms: quantile(sorted, 0.999),
    maxMs: n === 0 ? Number.NaN : (sorted[n - 1] as number),
  };
}

/**
 * Each upstream's share of the requests intended in each whole second from `fromMs`, for
 * `seconds` seconds; requests without an upstream (e.g. a proxy's own 504) count in the total
 * only. A second without requests has share NaN.
 */
export function sharePerSecond(
  columns: Columns,
  fromMs: number,
  seconds: number,
): Record<string, number[]> {
  const totals = new Array<number>(seconds).fill(0);
  const counts = columns.upstreams.map(() => new Array<number>(seconds).fill(0));
  for (let i = 0; i < columns.intendedMs.length; i++) {
    const second = Math.floor(((columns.intendedMs[i] as number) - fromMs) / 1000);
    if (second < 0 || second >= seconds) continue;
    totals[second] = (totals[second] as number) + 1;
    const u = columns.upstream[i] as number;
    const row = counts[u];
    if (row) row[second] = (row[second] as number) + 1;
  }
  return Object.fromEntries(
    columns.upstreams.map((name, u) => [
      name,
      (counts[u] as number[]).map((c, s) => (totals[s] ? c / (totals[s] as number) : Number.NaN)),
    ]),
  );
}

/** Collects results (pass `recorder.add` as `onResult`); `columns()` snapshots them. */
export class Recorder {
  readonly #intended: number[] = [];
  readonly #latency: number[] = [];
  readonly #status: number[] = [];
  readonly #upstream: number[] = [];
  readonly #upstreams = new Map<string, number>();

  readonly add = (result: LoadResult): void => {
    this.#intended.push(result.intendedMs);
    this.#latency.push(result.latencyMs);
    this.#status.push(result.status);
    let u = -1;
    if (result.upstream !== undefined) {
      u = this.#upstreams.get(result.upstream) ?? this.#upstreams.size;
      this.#upstreams.set(result.upstream, u);
    }
    this.#upstream.push(u);
  };

  get size(): number {
    return this.#intended.length;
  }

  columns(): Columns {
    return {
      intendedMs: Float64Array.from(this.#intended),
      latencyMs: Float64Array.from(this.#latency),
      status: Uint16Array.from(this.#status),
      upstream: Int16Array.from(this.#upstream),
      upstreams: [...this.#upstreams.keys()],
    };
  }

  summary(fromMs?: number, toMs?: number): WindowSummary {
    return summarize(this.columns(), fromMs, toMs);
  }
}
