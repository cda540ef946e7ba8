import { DDSketch } from '@datadog/sketches-js';
import proto from '@datadog/sketches-js/dist/ddsketch/proto/compiled.js';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/random.ts';
import {
  type CompactSketch,
  copyOf,
  mergeInto,
  pack,
} from '../../stream-jobs/graph/compact-sketch.ts';
import { SketchDecoder } from '../../stream-jobs/graph/sketch-codec.ts';
import { mergedQuantiles } from '../../stream-jobs/graph/sketch-quantiles.ts';
import { SketchRing } from '../../stream-jobs/graph/sketch-ring.ts';

const levels = [0, 0.1, 0.5, 0.9, 0.99, 0.999, 1];
/** The library's generated protobuf code (its .d.ts types it as a bare Root). */
const ProtoDDSketch = (
  proto as unknown as { DDSketch: { encode(message: object): { finish(): Uint8Array } } }
).DDSketch;

/** A log-normal latency sketch (µs) of `n` values, seeded; `spread` is σ of ln(value). */
function latencySketch(seed: number, n: number, spread = 0.6, accuracy = 0.01): DDSketch {
  const rng = mulberry32(seed);
  const sketch = new DDSketch({ relativeAccuracy: accuracy });
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    sketch.accept(2000 * 1.3 ** (seed % 20) * Math.exp(spread * z));
  }
  return sketch;
}

/** The library's non-zero positive bins as [key, count] pairs. */
function libraryBins(sketch: DDSketch): Array<[number, number]> {
  const { bins, offset } = sketch.store as unknown as { bins: number[]; offset: number };
  return bins.flatMap((count, i) => (count === 0 ? [] : [[offset + i, count] as [number, number]]));
}

function compactBins(sketch: CompactSketch): Array<[number, number]> {
  return Array.from(sketch.counts).flatMap((count, i) =>
    count === 0 ? [] : [[sketch.offset + i, count] as [number, number]],
  );
}

const decode = (sketch: DDSketch, decoder = new SketchDecoder()) =>
  decoder.decode(sketch.toProto());

function quantilesOf(sketches: CompactSketch[], mapping: DDSketch['mapping']): number[] {
  const out = levels.map(() => Number.NaN);
  mergedQuantiles(sketches, levels, mapping, out);
  return out;
}

describe('compact sketches: decoding', () => {
  it('round-trips the library encoding: the same keys, counts, total and mapping', () => {
    for (const [seed, n] of [
      [1, 1],
      [2, 200],
      [3, 5000],
    ] as const) {
      const original = latencySketch(seed, n, 1.5);
      const decoder = new SketchDecoder();
      const compact = decode(original, decoder);
      expect(compactBins(compact)).toEqual(libraryBins(original));
      expect(compact.count).toBe(original.count);
      expect(compact.counts[0]).not.toBe(0);
      expect(compact.counts.at(-1)).not.toBe(0);
      expect(decoder.mapping?.gamma).toBe(original.mapping.gamma);
    }
  });

  it('keeps zeros and negative values, and answers as the library does for them', () => {
    const sketch = new DDSketch();
    for (const v of [-50, -5, -5, 0, 0, 0, 3, 30, 300, 3000]) sketch.accept(v);
    const decoder = new SketchDecoder();
    const compact = decode(sketch, decoder);
    expect([compact.zeroCount, compact.count]).toEqual([3, 10]);
    expect(compact.negative?.counts.length).toBeGreaterThan(0);
    const expected = levels.map((q) => sketch.getValueAtQuantile(q));
    expect(quantilesOf([compact], sketch.mapping)).toEqual(expected);
  });

  it('adds sparse binCounts entries (sketches-go) to the contiguous bins', () => {
    const { mapping } = new DDSketch();
    const bytes = ProtoDDSketch.encode({
      mapping: { gamma: mapping.gamma, indexOffset: 0, interpolation: 0 },
      positiveValues: {
        contiguousBinCounts: [1, 0, 3],
        contiguousBinIndexOffset: 4,
        binCounts: { 5: 2, 9: 1 },
      },
      negativeValues: {},
      zeroCount: 1,
    }).finish();
    const compact = new SketchDecoder().decode(bytes);
    expect(compactBins(compact)).toEqual([
      [4, 1],
      [5, 2],
      [6, 3],
      [9, 1],
    ]);
    expect(compact.count).toBe(8);
  });

  it('throws on bytes that are no DDSketch, and on a sketch without its mapping or stores', () => {
    const decoder = new SketchDecoder();
    expect(() => decoder.decode(Buffer.from('nonsense'))).toThrow(/wire type/);
    const full = latencySketch(1, 50).toProto();
    expect(() => decoder.decode(full.subarray(0, full.length - 3))).toThrow(RangeError);
    expect(() => decoder.decode(Uint8Array.from([0x21, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
      /mapping/,
    );
  });
});

describe('compact sketches: merging and quantiles', () => {
  it('merges to the bins of the library merge, and to its quantiles bit for bit', () => {
    const originals = Array.from({ length: 12 }, (_, i) => latencySketch(i + 1, 50 + 40 * i));
    const decoder = new SketchDecoder();
    const compacts = originals.map((s) => decode(s, decoder));
    const library = new DDSketch();
    for (const s of originals) library.merge(s);
    const first = compacts[0] as CompactSketch;
    const merged = copyOf(first);
    for (const c of compacts.slice(1)) mergeInto(merged, c);
    expect(compactBins(merged)).toEqual(libraryBins(library));
    expect(merged.count).toBe(library.count);
    expect(compactBins(first)).toEqual(libraryBins(originals[0] as DDSketch)); // left as it was
    const expected = levels.map((q) => library.getValueAtQuantile(q));
    expect(quantilesOf([merged], library.mapping)).toEqual(expected);
    // Summed on read, without merging first: the same answer.
    expect(quantilesOf(compacts, library.mapping)).toEqual(expected);
  });

  it('gives quantiles within the relative accuracy of the exact ones', () => {
    const rng = mulberry32(7);
    const values = Array.from({ length: 20_000 }, () => 100 * Math.exp(3 * rng()));
    const parts = [0, 1, 2, 3].map(() => new DDSketch());
    for (const [i, v] of values.entries()) parts[i % 4]?.accept(v);
    const decoder = new SketchDecoder();
    const compacts = parts.map((p) => decode(p, decoder));
    const sorted = [...values].sort((a, b) => a - b);
    const got = quantilesOf(compacts, (parts[0] as DDSketch).mapping);
    levels.forEach((q, i) => {
      const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
      expect(Math.abs((got[i] as number) - exact) / exact).toBeLessThanOrEqual(0.01 + 1e-12);
    });
  });

  it('widens the count type only when a sum needs it, and adds in place otherwise', () => {
    const at = (counts: number[]) => {
      const out = { offset: 0, counts: new Uint8Array(0) as CompactSketch['counts'] };
      pack(Float64Array.from(counts), counts.length, 10, out);
      return { ...out, negative: undefined, zeroCount: 0, count: counts.reduce((a, b) => a + b) };
    };
    const a = copyOf(at([0, 200, 50, 0]));
    expect([a.offset, a.counts.constructor.name, Array.from(a.counts)]).toEqual([
      11,
      'Uint8Array',
      [200, 50],
    ]);
    const array = a.counts;
    mergeInto(a, at([0, 55, 5]));
    expect(a.counts).toBe(array); // fits: no new array
    expect(Array.from(a.counts)).toEqual([255, 55]);
    mergeInto(a, at([0, 1]));
    expect([a.counts.constructor.name, Array.from(a.counts)]).toEqual(['Uint16Array', [256, 55]]);
    mergeInto(a, at([70_000, 0, 0, 0, 1]));
    expect([a.offset, a.counts.constructor.name]).toEqual([10, 'Uint32Array']);
    expect(Array.from(a.counts)).toEqual([70_000, 256, 55, 0, 1]);
    mergeInto(a, at([0.5]));
    expect([a.counts.constructor.name, a.counts[0]]).toEqual(['Float64Array', 70_000.5]);
  });
});

describe('SketchRing', () => {
  it('keeps buckets + 1 slots, expires by the clock and never modifies a shared window', () => {
    const decoder = new SketchDecoder();
    const windows = Array.from({ length: 20 }, (_, k) => decode(latencySketch(k, 30), decoder));
    const snapshots = windows.map(compactBins);
    const ring = new SketchRing(60_000, 20_000); // 3 buckets of 20 s
    for (let k = 0; k < windows.length; k++) {
      const clock = (k + 1) * 10_000;
      ring.expire(clock);
      expect(ring.add(windows[k] as CompactSketch, k * 10_000, clock)).toBe(true);
      expect(ring.size).toBeLessThanOrEqual(4);
    }
    expect(windows.map(compactBins)).toEqual(snapshots);
    // At 200 s the live buckets overlap [140, 200]: 140–160 … 180–200 s, windows 14..19.
    const library = new DDSketch();
    for (let k = 14; k < 20; k++) library.merge(latencySketch(k, 30));
    const out = levels.map(() => Number.NaN);
    ring.quantiles(levels, library.mapping, out);
    expect(out).toEqual(levels.map((q) => library.getValueAtQuantile(q)));
    expect(ring.add(windows[0] as CompactSketch, 0, 200_000)).toBe(false); // long gone
    expect(ring.expire(10_000_000)).toBe(true);
    expect(ring.size).toBe(0);
  });
});
