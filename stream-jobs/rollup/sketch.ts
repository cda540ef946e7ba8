/**
 * Latency sketches of the rollup job: DDSketch from @datadog/sketches-js, the library whose
 * protobuf encoding EdgeStats.latency_sketch carries, at the same 1% relative accuracy as the
 * ClickHouse rollups (quantilesDD(0.01, …)), so the stream and SQL answer alike.
 */

import { DDSketch } from '@datadog/sketches-js';

/** Relative accuracy of every meshgraph latency sketch: values within 1% of the exact one. */
export const relativeAccuracy = 0.01;

/** The quantiles dashboards and the policy read: p50, p90, p99, p99.9. */
export const standardQuantiles = [0.5, 0.9, 0.99, 0.999] as const;

export function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy });
}

/** The sketch as EdgeStats.latency_sketch bytes. */
export function sketchToBytes(sketch: DDSketch): Buffer {
  return Buffer.from(sketch.toProto());
}

/**
 * Reads EdgeStats.latency_sketch bytes. (The library's decoder drops min/max; quantiles, count
 * and merging are unaffected.) Throws when the bytes are not a DDSketch.
 */
export function sketchFromBytes(bytes: Uint8Array): DDSketch {
  try {
    return DDSketch.fromProto(bytes);
  } catch (error) {
    throw new Error(`latency sketch: ${bytes.length} bytes are not a DDSketch protobuf`, {
      cause: error,
    });
  }
}

/**
 * Merges encoded sketches (windows of one edge folded into a longer one). Sketches of another
 * accuracy are refused by the library, which is what we want: their bins do not line up.
 */
export function mergeSketches(encoded: readonly Uint8Array[]): DDSketch {
  const merged = newSketch();
  for (const bytes of encoded) {
    const sketch = sketchFromBytes(bytes);
    if (sketch.count > 0) merged.merge(sketch);
  }
  return merged;
}

/**
 * The sketch's value at each quantile: within 1% of the exact value at rank floor(q·(n−1)) of the
 * sorted samples (the library's rank rule). NaN for an empty sketch.
 */
export function quantiles(
  sketch: DDSketch,
  qs: readonly number[] = standardQuantiles,
): Map<number, number> {
  return new Map(qs.map((q) => [q, sketch.getValueAtQuantile(q)]));
}
