import type { CompactSketch } from './compact-sketch.ts';
import { type Counts, DecayedCounts, exposureSeconds } from './decay.ts';
import { type Horizon, horizonMs, horizons, type RedStats } from './model.ts';
import type { KeyMapping } from './sketch-codec.ts';
import { SketchRing } from './sketch-ring.ts';

/** The quantile levels RedStats carries, in its field order. */
const levels = [0.5, 0.9, 0.99, 0.999] as const;

interface PerHorizon {
  counts: DecayedCounts;
  ring: SketchRing;
  /** Quantiles (ms) of the ring at `version`: recomputed only when the ring changed. */
  quantiles: number[];
  version: number;
}

/**
 * Everything the fold keeps for one graph edge: per horizon, decayed counts (decay.ts) and a
 * latency ring (sketch-ring.ts). Memory: at most 3 × (buckets + 1) compact bucket sketches, the
 * 1 m ones shared with the decoded windows.
 */
export class EdgeAccumulator {
  readonly #horizons: Record<Horizon, PerHorizon>;
  /** The bins' key → value mapping: the first sketch's (the fold refuses other accuracies). */
  #mapping: KeyMapping | undefined;

  /** `buckets`: ring buckets per horizon (validated by the fold). */
  constructor(buckets: number) {
    const make = (h: Horizon): PerHorizon => ({
      counts: new DecayedCounts(horizonMs[h]),
      ring: new SketchRing(horizonMs[h], horizonMs[h] / buckets),
      quantiles: levels.map(() => Number.NaN),
      version: -1,
    });
    this.#horizons = { '1m': make('1m'), '5m': make('5m'), '1h': make('1h') };
  }

  /**
   * Folds one window in: its counts into every horizon, its sketch (latencies in µs, keys of
   * `mapping`; shared, never modified) into every ring whose bucket for it is still live at
   * `clockMs`.
   */
  add(
    counts: Counts,
    sketch: CompactSketch | undefined,
    mapping: KeyMapping | undefined,
    startMs: number,
    endMs: number,
    clockMs: number,
  ): void {
    this.#mapping ??= mapping;
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
    return {
      '1m': this.#red('1m', clockMs, sinceMs),
      '5m': this.#red('5m', clockMs, sinceMs),
      '1h': this.#red('1h', clockMs, sinceMs),
    };
  }

  #red(h: Horizon, clockMs: number, sinceMs: number): RedStats {
    const state = this.#horizons[h];
    const { requests, errors } = state.counts.at(clockMs);
    const exposure = exposureSeconds(horizonMs[h], sinceMs, clockMs);
    const q = this.#quantiles(state);
    return {
      rate: exposure > 0 ? requests / exposure : 0,
      errorRate: requests > 0 ? Math.min(1, errors / requests) : 0,
      p50: q[0] as number,
      p90: q[1] as number,
      p99: q[2] as number,
      p999: q[3] as number,
      requests,
    };
  }

  #quantiles(state: PerHorizon): readonly number[] {
    if (state.version !== state.ring.version) {
      const { quantiles } = state;
      if (this.#mapping === undefined) quantiles.fill(Number.NaN);
      else state.ring.quantiles(levels, this.#mapping, quantiles);
      // Sketch values are microseconds (as duration_sum_us and ClickHouse's latency_us); RED is ms.
      for (let i = 0; i < quantiles.length; i++) quantiles[i] = (quantiles[i] as number) / 1000;
      state.version = state.ring.version;
    }
    return state.quantiles;
  }
}
