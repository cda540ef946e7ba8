import { DDSketch } from '@datadog/sketches-js';

/**
 * Latency over one horizon as a ring of DDSketches, one per sub-interval ("bucket") of the
 * horizon, merged on read.
 *
 * Why a ring and not a decayed sketch: sketches-js cannot scale a sketch's counts through its
 * API, so decayed quantiles are out of reach; a sliding window is the sound alternative, and it
 * is what ClickHouse answers for the same span (history.ts). Quantiles therefore cover "the
 * requests of the last horizon", while rates and error rates decay (decay.ts).
 *
 * - Bucket k covers [k·w, (k+1)·w) on the epoch, w = horizon / buckets; a window lands in the
 *   bucket holding its start (w is a multiple of the window length, so a window never straddles).
 * - A bucket lives while it overlaps [clock − horizon, clock]: the merged span is at least the
 *   horizon and at most horizon + w. So at most buckets + 1 sketches live per ring.
 * - The merged sketch is kept up to date by merging each window into it as well (cheap), and
 *   rebuilt from the buckets only when one expires (once per w). `version` changes with it, so
 *   readers cache quantiles per version instead of scanning bins on every read.
 */
export class SketchRing {
  readonly #buckets = new Map<number, DDSketch>();
  #merged: DDSketch | undefined;
  #version = 0;

  constructor(
    readonly horizonMs: number,
    readonly bucketMs: number,
  ) {}

  /** Bumped whenever the merged content changes. */
  get version(): number {
    return this.#version;
  }

  /** Live buckets (each one DDSketch), for memory accounting. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Merges a window's sketch into its bucket. Returns false (and keeps nothing) when that
   * bucket already left the horizon at `clockMs`. Throws what DDSketch.merge throws when the
   * sketch's accuracy differs from the ring's.
   */
  add(sketch: DDSketch, windowStartMs: number, clockMs: number): boolean {
    const index = Math.floor(windowStartMs / this.bucketMs);
    if (!this.#live(index, clockMs)) return false;
    let bucket = this.#buckets.get(index);
    if (bucket === undefined) {
      bucket = emptyLike(sketch);
      this.#buckets.set(index, bucket);
    }
    bucket.merge(sketch);
    if (this.#merged !== undefined) this.#merged.merge(sketch);
    this.#version++;
    return true;
  }

  /** Drops the buckets that no longer overlap the horizon at `clockMs`; true when any did. */
  expire(clockMs: number): boolean {
    let dropped = false;
    for (const index of this.#buckets.keys()) {
      if (!this.#live(index, clockMs)) {
        this.#buckets.delete(index);
        dropped = true;
      }
    }
    if (dropped) {
      this.#merged = undefined;
      this.#version++;
    }
    return dropped;
  }

  /** The merged sketch of the live buckets (owned by the ring: read, never modify); undefined when empty. */
  merged(): DDSketch | undefined {
    if (this.#merged === undefined) {
      for (const bucket of this.#buckets.values()) {
        this.#merged ??= emptyLike(bucket);
        this.#merged.merge(bucket);
      }
    }
    return this.#merged;
  }

  #live(index: number, clockMs: number): boolean {
    return (index + 1) * this.bucketMs > clockMs - this.horizonMs;
  }
}

/**
 * An empty sketch that merges with `sketch`: it shares its index mapping (stores hold bin keys
 * only, so the mapping is all that makes two sketches compatible). A fresh DDSketch would be
 * compatible only while both sides happen to use the library's default accuracy.
 */
export function emptyLike(sketch: DDSketch): DDSketch {
  const empty = new DDSketch();
  empty.mapping = sketch.mapping;
  return empty;
}
