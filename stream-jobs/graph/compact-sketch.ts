/**
 * A DDSketch's content held compactly: the fold keeps tens of sketches per edge for an hour
 * (sketch-ring.ts), and sketches-js's DenseStore spends a float64 JS-array slot per bin, padded
 * to 128-bin chunks (~3.8 KB per sketch at 1%).
 *
 * Here the bins of each store are one typed array over [offset, offset + length) with no zero
 * bin at either end, of the narrowest type that holds every count exactly: Uint8, Uint16,
 * Uint32, else Float64 (counts that are not integers, or beyond 2³²). Latency counts are
 * integers, so a 10-s window of a few hundred requests takes a byte per bin. The keys and the
 * counts are those of the library's sketch, so merged quantiles are the library's, bit for bit
 * while counts are integers (sums of doubles, in the same order, otherwise).
 */

export type BinCounts = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** One store's bins: key `offset + i` holds `counts[i]`. */
export interface Bins {
  offset: number;
  counts: BinCounts;
}

/**
 * A sketch: the positive store's bins inline (one object less per sketch; latencies are never
 * negative), the negative store's when it has any, and the zero bucket. `count` is every value
 * (DDSketch.count), the denominator of quantile ranks.
 */
export interface CompactSketch extends Bins {
  negative: Bins | undefined;
  zeroCount: number;
  count: number;
}

const none = new Uint8Array(0);

export function emptyBins(): Bins {
  return { offset: 0, counts: none };
}

/** Sums `counts`, in key order (as DenseStore counts them). */
export function total(counts: BinCounts): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i] as number;
  return sum;
}

/**
 * Packs `values[0, length)` (the counts of keys `offset …`) into `out`: zero bins at the ends
 * dropped, the narrowest exact type chosen.
 */
export function pack(values: Float64Array, length: number, offset: number, out: Bins): void {
  let first = 0;
  while (first < length && values[first] === 0) first++;
  let last = length - 1;
  while (last >= first && values[last] === 0) last--;
  let max = 0;
  let integral = true;
  for (let i = first; i <= last; i++) {
    const v = values[i] as number;
    if (v > max) max = v;
    if (!(Number.isInteger(v) && v >= 0)) integral = false;
  }
  const n = last - first + 1;
  let counts: BinCounts = none;
  if (n > 0 && integral && max <= 0xff) counts = new Uint8Array(n);
  else if (n > 0 && integral && max <= 0xffff) counts = new Uint16Array(n);
  else if (n > 0 && integral && max <= 0xffff_ffff) counts = new Uint32Array(n);
  else if (n > 0) counts = new Float64Array(n);
  for (let i = 0; i < n; i++) counts[i] = values[first + i] as number;
  out.offset = n > 0 ? offset + first : 0;
  out.counts = counts;
}

/** Largest exact count of each type. */
function ceiling(counts: BinCounts): number {
  if (counts instanceof Uint8Array) return 0xff;
  if (counts instanceof Uint16Array) return 0xffff;
  if (counts instanceof Uint32Array) return 0xffff_ffff;
  return Number.POSITIVE_INFINITY;
}

/** into += from without allocating, when `into`'s range and type hold the sums; else false. */
function addInPlace(into: Bins, from: Bins): boolean {
  const a = into.counts;
  const b = from.counts;
  const start = from.offset - into.offset;
  if (start < 0 || start + b.length > a.length) return false;
  if (!(a instanceof Float64Array)) {
    const limit = ceiling(a);
    for (let i = 0; i < b.length; i++) {
      const v = (a[start + i] as number) + (b[i] as number);
      if (!(v <= limit && Number.isInteger(v) && v >= 0)) return false;
    }
  }
  for (let i = 0; i < b.length; i++) a[start + i] = (a[start + i] as number) + (b[i] as number);
  return true;
}

let scratch = new Float64Array(1024);

/** A zeroed scratch of at least `length` values, shared (never held across calls). */
export function zeroedScratch(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(2 ** Math.ceil(Math.log2(length)));
  scratch.fill(0, 0, length);
  return scratch;
}

/** Adds `bins` into `values`, whose index 0 is key `lo`. */
export function accumulate(values: Float64Array, lo: number, bins: Bins): void {
  const { counts } = bins;
  const start = bins.offset - lo;
  for (let i = 0; i < counts.length; i++) {
    values[start + i] = (values[start + i] as number) + (counts[i] as number);
  }
}

/** into += from; `into` owns its array, which is replaced by a wider one when the sums need it. */
function addBins(into: Bins, from: Bins): void {
  if (from.counts.length === 0) return;
  if (into.counts.length === 0) {
    into.offset = from.offset;
    into.counts = from.counts.slice();
  } else if (!addInPlace(into, from)) {
    const lo = Math.min(into.offset, from.offset);
    const hi = Math.max(into.offset + into.counts.length, from.offset + from.counts.length);
    const values = zeroedScratch(hi - lo);
    accumulate(values, lo, into);
    accumulate(values, lo, from);
    pack(values, hi - lo, lo, into);
  }
}

/** Adds `from` into `into`, which must own its arrays (see {@link copyOf}). */
export function mergeInto(into: CompactSketch, from: CompactSketch): void {
  addBins(into, from);
  if (from.negative !== undefined) {
    into.negative ??= emptyBins();
    addBins(into.negative, from.negative);
  }
  into.zeroCount += from.zeroCount;
  into.count += from.count;
}

/** A copy that owns its arrays, so it can be merged into while the original stays shared. */
export function copyOf(sketch: CompactSketch): CompactSketch {
  const { offset, counts, negative, zeroCount, count } = sketch;
  return {
    offset,
    counts: counts.slice(),
    negative: negative && { offset: negative.offset, counts: negative.counts.slice() },
    zeroCount,
    count,
  };
}
