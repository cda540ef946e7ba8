import { type CompactSketch, copyOf, mergeInto } from './compact-sketch.ts';
import { mergedQuantiles } from './sketch-quantiles.ts';

/**
 * Latency over one horizon as a ring of sketches, one per sub-interval ("bucket") of the
 * horizon, merged on read.
 *
 * Why a ring and not a decayed sketch: a DDSketch's counts cannot be scaled without breaking
 * its accuracy guarantee per bin, so decayed quantiles are out of reach; a sliding window is the
 * sound alternative, and it is what ClickHouse answers for the same span (history.ts).
 * Quantiles therefore cover "the requests of the last horizon", while rates and error rates
 * decay (decay.ts).
 *
 * - Bucket k covers [k·w, (k+1)·w) on the epoch, w = horizon / buckets; a window lands in the
 *   bucket holding its start (w is a multiple of the window length, so a window never straddles).
 * - A bucket lives while it overlaps [clock − horizon, clock]: the merged span is at least the
 *   horizon and at most horizon + w. The live buckets are at most buckets + 1 consecutive
 *   indices (the clock only moves forward), so bucket k has slot k mod (buckets + 1) and
 *   never meets another live bucket there.
 * - Buckets are compact sketches (compact-sketch.ts). A bucket's first window is held as
 *   decoded, shared with the other rings (decoded windows are never modified); a second window
 *   turns it into a copy the ring owns and merges into.
 * - No merged sketch is kept (it would cost as much memory as the buckets): `quantiles` sums the
 *   live buckets when `version` moved since the caller's last read (sketch-quantiles.ts).
 */
export class SketchRing {
  readonly #slots: Array<CompactSketch | undefined>;
  /**
   * Bucket index held by each slot (−1: empty; windows start at or after the epoch), and 1
   * where the ring owns the slot's sketch. Plain small-integer arrays: a typed array costs ~150
   * bytes of V8 objects before its first element, and an edge has three rings.
   */
  readonly #index: number[];
  readonly #owned: number[];
  #version = 0;

  constructor(
    readonly horizonMs: number,
    readonly bucketMs: number,
  ) {
    const n = Math.round(horizonMs / bucketMs) + 1;
    this.#slots = new Array<CompactSketch | undefined>(n).fill(undefined);
    this.#index = new Array<number>(n).fill(-1);
    this.#owned = new Array<number>(n).fill(0);
  }

  /** Bumped whenever the merged content changes. */
  get version(): number {
    return this.#version;
  }

  /** Live buckets, for memory accounting. */
  get size(): number {
    let n = 0;
    for (const slot of this.#slots) if (slot !== undefined) n++;
    return n;
  }

  /**
   * Merges a window's sketch into its bucket. Returns false (and keeps nothing) when that
   * bucket already left the horizon at `clockMs`. `sketch` is not modified, nor copied unless
   * its bucket already holds another window.
   */
  add(sketch: CompactSketch, windowStartMs: number, clockMs: number): boolean {
    const index = Math.floor(windowStartMs / this.bucketMs);
    if (!this.#live(index, clockMs)) return false;
    const slot = index % this.#slots.length;
    const bucket = this.#slots[slot];
    if (bucket === undefined || this.#index[slot] !== index) {
      this.#slots[slot] = sketch;
      this.#index[slot] = index;
      this.#owned[slot] = 0;
    } else if (this.#owned[slot] === 0) {
      const own = copyOf(bucket);
      mergeInto(own, sketch);
      this.#slots[slot] = own;
      this.#owned[slot] = 1;
    } else {
      mergeInto(bucket, sketch);
    }
    this.#version++;
    return true;
  }

  /** Drops the buckets that no longer overlap the horizon at `clockMs`; true when any did. */
  expire(clockMs: number): boolean {
    let dropped = false;
    for (let slot = 0; slot < this.#slots.length; slot++) {
      if (this.#slots[slot] === undefined) continue;
      if (this.#live(this.#index[slot] as number, clockMs)) continue;
      this.#slots[slot] = undefined;
      this.#index[slot] = -1;
      dropped = true;
    }
    if (dropped) this.#version++;
    return dropped;
  }

  /**
   * Quantiles of the live buckets merged, at `levels` (ascending), into `out`, with `mapping`
   * turning a bin key into its value (the sketches' KeyMapping); NaN when the ring is empty.
   */
  quantiles(
    levels: readonly number[],
    mapping: { value(key: number): number },
    out: number[],
  ): void {
    mergedQuantiles(this.#slots, levels, mapping, out);
  }

  #live(index: number, clockMs: number): boolean {
    return (index + 1) * this.bucketMs > clockMs - this.horizonMs;
  }
}
