import { accumulate, type CompactSketch, total, zeroedScratch } from './compact-sketch.ts';

/**
 * Quantiles of the merge of several compact sketches (compact-sketch.ts), without building
 * the merged sketch: their bins are summed into a shared scratch, then scanned once for every
 * level. The rank rule is DDSketch.getValueAtQuantile's, step for step (rank q·(count − 1);
 * negative values, then zeros, then positive bins; the same running sums in the same order),
 * so the answer is the library's on the merged sketch.
 *
 * `levels` must be ascending; `mapping.value` maps a key to its value (the sketches'
 * KeyMapping).
 * Writes NaN for every level when the sketches hold no value.
 */
export function mergedQuantiles(
  sketches: ReadonlyArray<CompactSketch | undefined>,
  levels: readonly number[],
  mapping: { value(key: number): number },
  out: number[],
): void {
  let count = 0;
  let zeros = 0;
  let negatives = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of sketches) {
    if (s === undefined) continue;
    count += s.count;
    zeros += s.zeroCount;
    if (s.negative !== undefined) negatives += total(s.negative.counts);
    if (s.counts.length === 0) continue;
    lo = Math.min(lo, s.offset);
    hi = Math.max(hi, s.offset + s.counts.length);
  }
  if (count === 0) {
    out.fill(Number.NaN, 0, levels.length);
    return;
  }
  // Negative values first (rare: latencies are not negative), since they need the scratch too.
  for (let l = 0; l < levels.length; l++) {
    const rank = (levels[l] as number) * (count - 1);
    if (rank < negatives)
      out[l] = -mapping.value(negativeKeyAtRank(sketches, negatives - rank - 1));
  }
  const n = hi - lo;
  const bins = zeroedScratch(Math.max(0, n));
  for (const s of sketches) if (s !== undefined && s.counts.length > 0) accumulate(bins, lo, s);
  let i = 0;
  let running = 0;
  for (let l = 0; l < levels.length; l++) {
    const rank = (levels[l] as number) * (count - 1);
    if (rank < negatives) continue;
    if (rank < zeros + negatives) {
      out[l] = 0;
      continue;
    }
    const r = rank - zeros - negatives;
    // DenseStore.keyAtRank: the first key whose running count exceeds r; the running sum up to
    // key i − 1 carries over to the next (higher) level instead of being summed again.
    while (i < n && running + (bins[i] as number) <= r) {
      running += bins[i] as number;
      i++;
    }
    out[l] = mapping.value(lo + Math.min(i, n - 1));
  }
}

/** DenseStore.keyAtRank(rank, lower = false) over the merged negative stores. */
function negativeKeyAtRank(
  sketches: ReadonlyArray<CompactSketch | undefined>,
  rank: number,
): number {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of sketches) {
    const bins = s?.negative;
    if (bins === undefined || bins.counts.length === 0) continue;
    lo = Math.min(lo, bins.offset);
    hi = Math.max(hi, bins.offset + bins.counts.length);
  }
  const values = zeroedScratch(hi - lo);
  for (const s of sketches) if (s?.negative !== undefined) accumulate(values, lo, s.negative);
  let running = 0;
  for (let i = 0; i < hi - lo; i++) {
    running += values[i] as number;
    if (running >= rank + 1) return lo + i;
  }
  return hi - 1;
}
