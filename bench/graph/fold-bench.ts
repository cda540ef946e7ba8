/**
 * Fold rate: EdgeStats windows through `GraphFold.apply`, one 10-s interval at a time (each
 * interval's windows are built before its timer starts and dropped after), then
 * `advance(interval end)` as the graph job does, timed apart. Memory is read after a full GC
 * once an interval's windows are dropped, so it is what the fold retains; GC pauses during
 * `apply` are summed (gc-meter.ts).
 */

import { GraphFold } from '../../stream-jobs/graph/fold.ts';
import { type FullRingResult, measureFullRings } from './full-rings.ts';
import { GcMeter, type Memory, memoryNow } from './gc-meter.ts';
import type { Topology } from './topology.ts';
import { intervalEndMs, WindowSource } from './windows.ts';

export interface FoldInterval {
  readonly interval: number;
  readonly windows: number;
  /** The `apply` loop over this interval's windows, and the GC pauses inside it. */
  readonly applyMs: number;
  readonly gcMs: number;
  /** Process CPU time (all threads) during the apply loop: ≪ applyMs means the cores were busy. */
  readonly cpuMs: number;
  readonly advanceMs: number;
  /** After the interval, its windows dropped, after a full GC. */
  readonly memory: Memory;
  /** Latency sketches the fold holds (FoldCounters.sketches). */
  readonly sketches: number;
}

export interface FoldResult {
  /** Before the fold was created (topology only), after a full GC. */
  readonly baseline: Memory;
  readonly intervals: readonly FoldInterval[];
  readonly nodes: number;
  readonly edges: number;
  readonly folded: number;
  /** Memory once every ring is full, measured on a sample (full-rings.ts); none for 0 streams. */
  readonly fullRings: FullRingResult | undefined;
}

/** Process CPU time (user + system, all threads) since `from`, in ms. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1000;
}

/** The fold's default lag, passed explicitly so `advance` lands the clock on the interval end. */
const lagMs = 20_000;

export async function measureFold(
  topology: Topology,
  intervals: number,
  seed: number,
  ringSample: number,
  progress: (line: string) => void,
): Promise<{ fold: GraphFold; result: FoldResult }> {
  const source = new WindowSource(topology, intervals, seed);
  const meter = new GcMeter();
  const baseline = await memoryNow();
  const fold = new GraphFold({ lagMs });
  const rows: FoldInterval[] = [];
  try {
    for (let k = 0; k < intervals; k++) {
      let windows: ReturnType<WindowSource['interval']> | undefined = source.interval(k);
      const count = windows.length;
      await meter.start();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (const window of windows) fold.apply(window);
      const applyMs = performance.now() - t0;
      const cpuMs = cpuSince(cpu0);
      const gcMs = await meter.read();
      const t1 = performance.now();
      fold.advance(intervalEndMs(k) + lagMs);
      const advanceMs = performance.now() - t1;
      windows = undefined;
      const memory = await memoryNow();
      const { sketches } = fold.counters();
      rows.push({
        interval: k,
        windows: count,
        applyMs,
        gcMs,
        cpuMs,
        advanceMs,
        memory,
        sketches,
      });
      const us = ((applyMs * 1000) / count).toFixed(1);
      const heap = (memory.heapUsed / 2 ** 20).toFixed(0);
      const typed = (memory.arrayBuffers / 2 ** 20).toFixed(0);
      progress(
        `fold interval ${k + 1}/${intervals}: ${count} windows, ${us} µs/window, heap ${heap} MiB + ${typed} MiB typed arrays`,
      );
    }
  } finally {
    meter.stop();
  }
  const graph = fold.graph();
  const fullRings =
    ringSample > 0 ? await measureFullRings(topology, ringSample, seed, progress) : undefined;
  const result = {
    baseline,
    intervals: rows,
    nodes: graph.order,
    edges: graph.size,
    folded: fold.counters().folded,
    fullRings,
  };
  return { fold, result };
}
