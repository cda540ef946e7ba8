/**
 * Remembers which windows the fold took in, so a replayed EdgeStats (the same source,
 * destination, endpoint and window start; the fold takes one window length) is recognised and
 * dropped. Only windows inside the longest horizon are remembered: the fold refuses older ones
 * outright, so forgetting them loses nothing.
 *
 * Memory: one number per (message key, window) within the horizon plus the pruning interval,
 * i.e. at most (horizon + pruneEveryMs) / window length entries per key (372 for 1 h of 10-s
 * windows), and a key disappears with its last window.
 */
export class WindowDedup {
  readonly #seen = new Map<string, Set<number>>();
  #prunedBeforeMs = Number.NEGATIVE_INFINITY;
  #size = 0;

  /**
   * `pruneEveryMs` (number, default 60,000): how far the horizon must move before old entries
   * are swept; sweeping every second would walk every entry every second.
   */
  constructor(readonly pruneEveryMs = 60_000) {}

  /** Windows remembered. */
  get size(): number {
    return this.#size;
  }

  /** True when (key, startMs) was already recorded; otherwise records it and returns false. */
  seenBefore(key: string, startMs: number): boolean {
    let starts = this.#seen.get(key);
    if (starts === undefined) {
      starts = new Set();
      this.#seen.set(key, starts);
    }
    if (starts.has(startMs)) return true;
    starts.add(startMs);
    this.#size++;
    return false;
  }

  /** Forgets windows that start before `oldestMs` (at most once per pruneEveryMs of progress). */
  prune(oldestMs: number): void {
    if (oldestMs - this.#prunedBeforeMs < this.pruneEveryMs) return;
    this.#prunedBeforeMs = oldestMs;
    for (const [key, starts] of this.#seen) {
      for (const start of starts) {
        if (start < oldestMs) {
          starts.delete(start);
          this.#size--;
        }
      }
      if (starts.size === 0) this.#seen.delete(key);
    }
  }
}
