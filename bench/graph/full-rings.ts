/**
 * Memory once every latency ring is full, measured rather than extrapolated: a sample of the
 * topology's streams (call edges and endpoints in the topology's proportion, seeded) is folded
 * for 70 minutes of event time, one 10-s window per stream per interval with `advance` after
 * each, as the graph job runs. By then every ring holds its hour (+ one bucket), the replay
 * guard its hour of windows, and both only slide. The sample fold's memory after a full GC,
 * per edge, times the full fold's edges is the steady-state figure. Folding the whole topology
 * for an hour would take an hour of `apply` at least; per-edge memory does not depend on how
 * many edges there are (save the nodes they share), so a sample measures the same thing.
 */

import { sampleIndices } from '../../stream-jobs/graph/analyses/rng.ts';
import { GraphFold } from '../../stream-jobs/graph/fold.ts';
import { heldBytes, type Memory, memoryNow } from './gc-meter.ts';
import type { Topology } from './topology.ts';
import { intervalEndMs, WindowSource, windowSeconds } from './windows.ts';

/** 1 h of windows, plus 10 minutes (the 1 h ring's bucket width) for the rings to slide. */
export const fullRingIntervals = (3_600 + 600) / windowSeconds;

export interface FullRingResult {
  /** Streams folded (each one a graph edge) and 10-s intervals. */
  readonly streams: number;
  readonly intervals: number;
  readonly edges: number;
  readonly nodes: number;
  /** Wall time of the whole sample fold (apply + advance + building windows). */
  readonly wallMs: number;
  /** Latency sketches and windows remembered at the end (FoldCounters). */
  readonly sketches: number;
  readonly windowsRemembered: number;
  /** After a full GC: before the sample fold was created, and after its last interval. */
  readonly before: Memory;
  readonly after: Memory;
}

/** The fold's default lag, passed explicitly so `advance` lands the clock on the interval end. */
const lagMs = 20_000;

/** `streams` of the topology's streams, calls and endpoints in proportion, seeded. */
function sampleTopology(t: Topology, streams: number, seed: number): Topology {
  const all = t.calls.length + t.endpoints.length;
  const calls = Math.round((streams * t.calls.length) / Math.max(1, all));
  const pick = <T>(items: readonly T[], k: number) =>
    sampleIndices(items.length, Math.min(k, items.length), seed).map((i) => items[i] as T);
  return {
    ...t,
    calls: pick(t.calls, calls),
    endpoints: pick(t.endpoints, streams - calls),
  };
}

export async function measureFullRings(
  topology: Topology,
  streams: number,
  seed: number,
  progress: (line: string) => void,
): Promise<FullRingResult> {
  const sample = sampleTopology(topology, streams, seed);
  const source = new WindowSource(sample, fullRingIntervals, seed);
  const before = await memoryNow();
  const t0 = performance.now();
  const fold = new GraphFold({ lagMs });
  for (let k = 0; k < fullRingIntervals; k++) {
    for (const window of source.interval(k)) fold.apply(window);
    fold.advance(intervalEndMs(k) + lagMs);
    if ((k + 1) % 60 === 0) progress(`full rings: ${(k + 1) / 6} of 70 minutes folded`);
  }
  const wallMs = performance.now() - t0;
  const after = await memoryNow();
  const { sketches, windowsRemembered } = fold.counters();
  const { order: nodes, size: edges } = fold.graph();
  const streamsFolded = source.perInterval;
  return {
    ...{ streams: streamsFolded, intervals: fullRingIntervals, edges, nodes, wallMs },
    ...{ sketches, windowsRemembered, before, after },
  };
}

/** The sample's retained bytes (heap + typed arrays) per edge. */
export function fullRingBytesPerEdge(r: FullRingResult): number {
  return (heldBytes(r.after) - heldBytes(r.before)) / r.edges;
}
