import type { DDSketch } from '@datadog/sketches-js';
import { type Counts, DecayedCounts, exposureSeconds } from './decay.ts';
import { type Horizon, horizonMs, horizons, type RedStats } from './model.ts';
import { SketchRing } from './sketch-ring.ts';

/** The quantile levels RedStats carries, in its field order. */
const levels = [0.5, 0.9, 0.99, 0.999] as const;

interface PerHorizon {
  counts: DecayedCounts;
  ring: SketchRing;
  /** Quantiles (ms) of the ring at `version`: recomputed only when the ring changed. */
  quantiles: readonly number[];
  version: number;
}

/**
 * Everything the fold keeps for one graph edge: per horizon, decayed counts (decay.ts) and a
 * latency ring (sketch-ring.ts). Memory: 3 × (buckets + 1) bucket sketches + 3 merged ones.
 */
export class EdgeAccumulator {
  readonly #horizons: Record<Horizon, PerHorizon>;

  /** `buckets`: ring buckets per horizon (validated by the fold). */
  constructor(buckets: number) {
    const make = (h: Horizon): PerHorizon => ({
      counts: new DecayedCounts(horizonMs[h]),
      ring: new SketchRing(horizonMs[h], horizonMs[h] / buckets),
      quantiles: [],
      version: -1,
    });
    this.#horizons = { '1m': make('1m'), '5m': make('5m'), '1h': make('1h') };
  }

  /**
   * Folds one window in: its counts into every horizon, its sketch (latencies in µs) into
   * every ring whose bucket for it is still live at `clockMs`.
   */
  add(
    counts: Counts,
    sketch: DDSketch | undefined,
    startMs: number,
    endMs: number,
    clockMs: number,
  ): void {
    for (const h of horizons) {
      const state = this.#horizons[h];
      state.counts.add(counts, startMs, endMs);
      // The clock may have moved with this window: the ring must not serve buckets it passed.
      state.ring.expire(clockMs);
      if (sketch !== undefined) state.ring.add(sketch, startMs, clockMs);
    }
  }

  /** Drops ring buckets that left their horizon. */
  expire(clockMs: number): void {
    for (const h of horizons) this.#horizons[h].ring.expire(clockMs);
  }

  /** Live sketches (buckets, not counting merged caches), for memory accounting. */
  get sketches(): number {
    let n = 0;
    for (const h of horizons) n += this.#horizons[h].ring.size;
    return n;
  }

  /** RED per horizon at `clockMs` for a fold that has watched since `sinceMs` (see decay.ts). */
  stats(clockMs: number, sinceMs: number): Record<Horizon, RedStats> {
    const out = {} as Record<Horizon, RedStats>;
    for (const h of horizons) {
      const state = this.#horizons[h];
      const { requests, errors } = state.counts.at(clockMs);
      const exposure = exposureSeconds(horizonMs[h], sinceMs, clockMs);
      const [p50, p90, p99, p999] = this.#quantiles(state);
      out[h] = {
        rate: exposure > 0 ? requests / exposure : 0,
        errorRate: requests > 0 ? Math.min(1, errors / requests) : 0,
        p50: p50 ?? Number.NaN,
        p90: p90 ?? Number.NaN,
        p99: p99 ?? Number.NaN,
        p999: p999 ?? Number.NaN,
        requests,
      };
    }
    return out;
  }

  #quantiles(state: PerHorizon): readonly number[] {
    if (state.version !== state.ring.version) {
      const merged = state.ring.merged();
      // Sketch values are microseconds (as duration_sum_us and ClickHouse's latency_us); RED is ms.
      state.quantiles = levels.map((q) => (merged?.getValueAtQuantile(q) ?? Number.NaN) / 1000);
      state.version = state.ring.version;
    }
    return state.quantiles;
  }
}
