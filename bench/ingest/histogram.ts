/**
 * Pure figures of the ingest benchmark: a fixed-width lag histogram (1 ms buckets, so millions
 * of records cost a few hundred KB, not an array of samples) and percentiles read from it by
 * nearest rank, plus the rate arithmetic the report uses. Unit-tested.
 */

export interface LagSummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Lags in whole milliseconds (rounded up); at or beyond `limitMs` counted in one last bucket. */
export class LagHistogram {
  readonly buckets: Uint32Array;
  count = 0;
  sum = 0;
  max = 0;

  constructor(readonly limitMs = 120_000) {
    this.buckets = new Uint32Array(limitMs + 1);
  }

  add(lagMs: number, n = 1): void {
    const ms = Math.max(0, Math.ceil(lagMs));
    const i = Math.min(ms, this.limitMs);
    this.buckets[i] = (this.buckets[i] ?? 0) + n;
    this.count += n;
    this.sum += ms * n;
    if (ms > this.max) this.max = ms;
  }

  /** Adds another histogram's counts (same limit). */
  merge(other: LagHistogram): void {
    if (other.limitMs !== this.limitMs) throw new Error('LagHistogram.merge: different limits');
    other.buckets.forEach((n, i) => {
      this.buckets[i] = (this.buckets[i] ?? 0) + n;
    });
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** Nearest rank: the smallest bucket with at least p% of the counts at or below it; NaN if empty. */
  percentile(p: number): number {
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= rank) return i;
    }
    return this.limitMs;
  }

  summary(): LagSummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      p50: this.percentile(50),
      p99: this.percentile(99),
      max: empty ? Number.NaN : this.max,
      mean: empty ? Number.NaN : this.sum / this.count,
    };
  }

  /** Plain numbers for IPC/JSON: [lag ms, count] for every non-empty bucket. */
  toPairs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.buckets.forEach((n, ms) => {
      if (n > 0) out.push([ms, n]);
    });
    return out;
  }

  static fromPairs(pairs: ReadonlyArray<readonly [number, number]>, limitMs?: number) {
    const h = new LagHistogram(limitMs);
    for (const [ms, n] of pairs) h.add(ms, n);
    return h;
  }
}

/** Records per second over a window of `ms` milliseconds. */
export function perSecond(records: number, ms: number): number {
  return ms > 0 ? (records * 1000) / ms : Number.NaN;
}

/** CPU use in percent of one core: `cpuMs` of CPU time over `wallMs` of wall time. */
export function cpuPercent(cpuMs: number, wallMs: number): number {
  return wallMs > 0 ? (100 * cpuMs) / wallMs : Number.NaN;
}

/** a / b, NaN when b is 0 or either is not finite: ratios between the offered rates. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
