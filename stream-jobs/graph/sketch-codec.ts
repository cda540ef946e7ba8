import { DDSketch } from '@datadog/sketches-js';
import { type Bins, type CompactSketch, emptyBins, pack, total } from './compact-sketch.ts';
import { ProtoReader } from './proto-reader.ts';

/**
 * Reads EdgeStats.latency_sketch (the DDSketch protobuf of sketches-go's ddsketch.proto, as
 * sketches-js encodes it) straight into a compact sketch (compact-sketch.ts). The library's
 * decoder builds a protobufjs message, then a DenseStore bin by bin (re-centring its array as it
 * grows), and `require`s its compiled protobuf module on every call: most of the fold's time
 * per window before this. Here: one pass over the bytes, one typed array per store.
 *
 * The library's rules are kept: the mapping and both stores must be present; contiguous bin
 * counts (packed or not, appended across repeats) start at `contiguousBinIndexOffset`. Beyond
 * them, sparse `binCounts` entries (which sketches-go may write, and sketches-js would drop)
 * are added too. The mapping itself is built by the library, from the mapping bytes, once per
 * distinct mapping (see {@link SketchDecoder}).
 */

type Sketch = DDSketch;
export type KeyMapping = Sketch['mapping'];

/** Keys a store may span: a 1% mapping spans ~71,000 keys over all doubles; 2% at 0.1%. */
const maxSpan = 1 << 20;

let values = new Float64Array(4096);
const sparse: number[] = [];

/** Sets values[n] = v (growing the scratch); returns n + 1. */
function append(n: number, v: number): number {
  if (n === values.length) {
    const grown = new Float64Array(2 * n);
    grown.set(values);
    values = grown;
  }
  values[n] = v;
  return n + 1;
}

/** One Store message into bins: contiguous counts, then sparse entries added on top. */
function readStore(r: ProtoReader, end: number): Bins {
  let n = 0;
  let offset = 0;
  sparse.length = 0;
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 2 && (tag & 7) === 2) {
      const stop = r.end(end);
      while (r.pos < stop) n = append(n, r.double(stop));
    } else if (field === 2 && (tag & 7) === 1) n = append(n, r.double(end));
    else if (field === 3 && (tag & 7) === 0) offset = r.sint32();
    else if (field === 1 && (tag & 7) === 2) {
      const stop = r.end(end);
      let key = 0;
      let count = 0;
      while (r.pos < stop) {
        const t = r.varint();
        if (t === 8) key = r.sint32();
        else if (t === 17) count = r.double(stop);
        else r.skip(t & 7, stop);
      }
      sparse.push(key, count);
    } else r.skip(tag & 7, end);
  }
  const bins = emptyBins();
  if (sparse.length === 0) {
    pack(values, n, offset, bins);
    return bins;
  }
  let lo = n > 0 ? offset : Number.POSITIVE_INFINITY;
  let hi = n > 0 ? offset + n - 1 : Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sparse.length; i += 2) {
    lo = Math.min(lo, sparse[i] as number);
    hi = Math.max(hi, sparse[i] as number);
  }
  if (hi - lo >= maxSpan) throw new RangeError(`store keys span ${lo}..${hi}`);
  const merged = new Float64Array(hi - lo + 1);
  for (let i = 0; i < n; i++) merged[offset - lo + i] = values[i] as number;
  for (let i = 0; i < sparse.length; i += 2) {
    const at = (sparse[i] as number) - lo;
    merged[at] = (merged[at] as number) + (sparse[i + 1] as number);
  }
  pack(merged, merged.length, lo, bins);
  return bins;
}

/** The library's KeyMapping for IndexMapping bytes: decoded by sketches-js itself. */
function mappingOf(indexMapping: Uint8Array): KeyMapping {
  const length: number[] = [];
  for (let n = indexMapping.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  // A DDSketch message with this mapping and two empty stores (fields 2 and 3).
  const message = Uint8Array.from([0x0a, ...length, ...indexMapping, 0x12, 0x00, 0x1a, 0x00]);
  return DDSketch.fromProto(message).mapping;
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes latency sketches into compact ones. Every sketch of one producer carries the same
 * mapping bytes, so the decoder keeps the last mapping it built and rebuilds it only when they
 * change. `decode` throws (a RangeError or the library's Error) when the bytes are no DDSketch.
 */
export class SketchDecoder {
  #mappingBytes: Uint8Array | undefined;
  #mapping: KeyMapping | undefined;

  /** The mapping of the last sketch decoded; undefined before the first. */
  get mapping(): KeyMapping | undefined {
    return this.#mapping;
  }

  decode(bytes: Uint8Array): CompactSketch {
    const r = new ProtoReader(bytes);
    const end = bytes.length;
    let mapping: Uint8Array | undefined;
    let positive: Bins | undefined;
    let negative: Bins | undefined;
    let zeroCount = 0;
    while (r.pos < end) {
      const tag = r.varint();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 4 && wire === 1) zeroCount = r.double(end);
      else if (wire !== 2 || field < 1 || field > 3) r.skip(wire, end);
      else {
        const stop = r.end(end);
        if (field === 1) mapping = bytes.subarray(r.pos, stop);
        else if (field === 2) positive = readStore(r, stop);
        else negative = readStore(r, stop);
        r.pos = stop;
      }
    }
    if (mapping === undefined) throw new Error('Failed to decode mapping from protobuf');
    if (positive === undefined || negative === undefined) {
      throw new Error('Failed to decode store from protobuf');
    }
    if (!sameBytes(mapping, this.#mappingBytes)) {
      this.#mapping = mappingOf(mapping);
      this.#mappingBytes = mapping.slice();
    }
    const negatives = total(negative.counts);
    return {
      offset: positive.offset,
      counts: positive.counts,
      negative: negative.counts.length > 0 ? negative : undefined,
      zeroCount,
      // DDSketch's own order: negative store + zeros + positive store.
      count: negatives + zeroCount + total(positive.counts),
    };
  }
}
