import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/random.ts';
import { WindowDedup } from '../../stream-jobs/graph/window-dedup.ts';

const W = 10_000;
const H = 3_600_000;

/** The replay guard as it was: a Set of start times per key, swept every 60 s of progress. */
class SetDedup {
  readonly seen = new Map<string, Set<number>>();
  prunedBeforeMs = Number.NEGATIVE_INFINITY;
  size = 0;

  seenBefore(key: string, startMs: number): boolean {
    const starts = this.seen.get(key) ?? new Set<number>();
    this.seen.set(key, starts);
    if (starts.has(startMs)) return true;
    starts.add(startMs);
    this.size++;
    return false;
  }

  prune(oldestMs: number): void {
    if (oldestMs - this.prunedBeforeMs < 60_000) return;
    this.prunedBeforeMs = oldestMs;
    for (const [key, starts] of this.seen) {
      for (const start of starts) {
        if (start >= oldestMs) continue;
        starts.delete(start);
        this.size--;
      }
      if (starts.size === 0) this.seen.delete(key);
    }
  }
}

describe('WindowDedup', () => {
  it('answers as a Set of starts per key for every window the fold would ask about', () => {
    const rng = mulberry32(3);
    const bitmap = new WindowDedup(W, H + W);
    const sets = new SetDedup();
    const T0 = Date.UTC(2026, 0, 1);
    let clock = T0;
    for (let step = 0; step < 60_000; step++) {
      // The clock mostly creeps, sometimes jumps (a quiet spell), as windows arrive.
      clock += rng() < 0.001 ? Math.floor(rng() * 3 * H) : Math.floor(rng() * 400);
      const key = `k${Math.floor(rng() * 6)}`;
      // Any start the fold does not refuse as too old (end > clock − 1 h), on the grid mostly.
      const back = Math.floor(rng() * (H / W + 1)) * W;
      let start = Math.floor(clock / W) * W - back;
      if (rng() < 0.01) start += 1 + Math.floor(rng() * (W - 1));
      if (start + W <= clock - H) continue;
      expect(bitmap.seenBefore(key, start)).toBe(sets.seenBefore(key, start));
      bitmap.prune(clock - H - W);
      sets.prune(clock - H - W);
      expect(bitmap.size).toBe(sets.size);
    }
    expect(sets.size).toBeGreaterThan(1000);
  });

  it('forgets a key with its last window', () => {
    const d = new WindowDedup(W, H + W);
    expect(d.seenBefore('a', 0)).toBe(false);
    expect(d.seenBefore('a', 5)).toBe(false); // off the grid
    expect(d.seenBefore('a', 0)).toBe(true);
    expect(d.seenBefore('a', 5)).toBe(true);
    expect(d.size).toBe(2);
    d.prune(10 * H);
    expect(d.size).toBe(0);
    expect(d.seenBefore('a', 0)).toBe(false);
  });
});
