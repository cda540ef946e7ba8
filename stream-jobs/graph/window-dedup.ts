/**
 * Remembers which windows the fold took in, so a replayed EdgeStats (the same source,
 * destination, endpoint and window start; the fold takes one window length) is recognised and
 * dropped. Only windows inside the longest horizon are remembered: the fold refuses older ones
 * outright, so forgetting them loses nothing.
 *
 * Memory: per message key, one bit per window slot over the span (aligned starts, i.e. every
 * start the rollup emits: a 48-byte bitmap for 1 h of 10-s windows), plus a Set for starts off
 * the window grid (none in practice). A Set of start times cost ~40 bytes per window, ~15 KB per
 * key after an hour. A key disappears with its last window.
 *
 * - `windowMs` (number, default 10,000): the window length; starts that are multiples of it
 *   take a bit, others an entry in the fallback Set.
 * - `spanMs` (number, default 3,610,000: 1 h + a window): how far behind a key's newest start
 *   a start may still be asked about. The bitmap holds span + pruneEveryMs; a start older than
 *   that reads as seen (the fold refuses such windows as too old before asking).
 * - `pruneEveryMs` (number, default 60,000): how far the horizon must move before old entries
 *   are swept; sweeping every second would walk every entry every second.
 */
export class WindowDedup {
  readonly #seen = new Map<string, Seen>();
  readonly #slots: number;
  #prunedBeforeMs = Number.NEGATIVE_INFINITY;
  #size = 0;

  constructor(
    readonly windowMs = 10_000,
    readonly spanMs = 3_610_000,
    readonly pruneEveryMs = 60_000,
  ) {
    this.#slots = 32 * Math.ceil((Math.ceil((spanMs + pruneEveryMs) / windowMs) + 2) / 32);
  }

  /** Windows remembered. */
  get size(): number {
    return this.#size;
  }

  /** True when (key, startMs) was already recorded; otherwise records it and returns false. */
  seenBefore(key: string, startMs: number): boolean {
    const index = startMs / this.windowMs;
    let seen = this.#seen.get(key);
    if (seen === undefined) {
      seen = {
        newest: Number.NEGATIVE_INFINITY,
        bits: new Uint32Array(this.#slots / 32),
        count: 0,
        odd: undefined,
      };
      this.#seen.set(key, seen);
    }
    if (!Number.isInteger(index)) {
      seen.odd ??= new Set();
      if (seen.odd.has(startMs)) return true;
      seen.odd.add(startMs);
    } else {
      if (index > seen.newest) {
        this.#clear(seen, seen.newest + 1, index + 1);
        seen.newest = index;
      } else if (index <= seen.newest - this.#slots) return true;
      const slot = index % this.#slots;
      const word = slot >>> 5;
      const bit = 1 << (slot & 31);
      if (((seen.bits[word] as number) & bit) !== 0) return true;
      seen.bits[word] = (seen.bits[word] as number) | bit;
    }
    seen.count++;
    this.#size++;
    return false;
  }

  /** Forgets windows that start before `oldestMs` (at most once per pruneEveryMs of progress). */
  prune(oldestMs: number): void {
    if (oldestMs - this.#prunedBeforeMs < this.pruneEveryMs) return;
    this.#prunedBeforeMs = oldestMs;
    const first = Math.ceil(oldestMs / this.windowMs);
    for (const [key, seen] of this.#seen) {
      this.#clear(seen, seen.newest - this.#slots + 1, Math.min(first, seen.newest + 1));
      for (const start of seen.odd ?? []) {
        if (start >= oldestMs) continue;
        seen.odd?.delete(start);
        seen.count--;
        this.#size--;
      }
      if (seen.count === 0) this.#seen.delete(key);
    }
  }

  /** Clears the bits of window indices [from, to), as far as the bitmap holds them. */
  #clear(seen: Seen, from: number, to: number): void {
    const start = Math.max(from, to - this.#slots);
    for (let index = start; index < to; index++) {
      const slot = ((index % this.#slots) + this.#slots) % this.#slots;
      const word = slot >>> 5;
      const bit = 1 << (slot & 31);
      if (((seen.bits[word] as number) & bit) === 0) continue;
      seen.bits[word] = (seen.bits[word] as number) & ~bit;
      seen.count--;
      this.#size--;
    }
  }
}

interface Seen {
  /** The newest aligned window index recorded (−∞: none); the bitmap covers the slots up to it. */
  newest: number;
  bits: Uint32Array;
  /** Bits set plus starts in `odd`. */
  count: number;
  odd: Set<number> | undefined;
}
