/** The fold section of the graph benchmark's report (pure: unit-tested). */

import type { FoldInterval, FoldResult } from './fold-bench.ts';

const MiB = 2 ** 20;
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');
const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const thousands = (v: number) => Math.round(v).toLocaleString('en-US');

export interface FoldSummary {
  readonly windows: number;
  readonly windowsPerSecond: number;
  readonly usPerWindow: number;
  /** Later intervals only (updates of existing edges; the first one also creates them). */
  readonly steadyWindowsPerSecond: number;
  /** GC pauses over apply time, all intervals. */
  readonly gcShare: number;
  readonly retainedBytes: number;
  readonly bytesPerEdge: number;
  readonly bytesPerSketch: number;
  /**
   * Heap the fold would hold once every ring is full (FoldResult.steadySketches), extrapolated
   * linearly in sketches held from the first to the last interval; NaN when none were added.
   */
  readonly projectedSteadyBytes: number;
}

const sum = (rows: readonly FoldInterval[], key: 'windows' | 'applyMs' | 'gcMs') =>
  rows.reduce((s, r) => s + r[key], 0);

function rate(rows: readonly FoldInterval[]) {
  const windows = sum(rows, 'windows');
  const applyMs = sum(rows, 'applyMs');
  return { windows, perSecond: windows / (applyMs / 1000), usPer: (applyMs * 1000) / windows };
}

export function foldSummary(f: FoldResult): FoldSummary {
  const all = rate(f.intervals);
  const last = f.intervals.at(-1);
  const first = f.intervals[0];
  const retainedBytes = last ? last.memory.heapUsed - f.baseline.heapUsed : Number.NaN;
  const added = last && first ? last.sketches - first.sketches : 0;
  const perSketch =
    last && first && added > 0
      ? (last.memory.heapUsed - first.memory.heapUsed) / added
      : Number.NaN;
  const toCome = f.steadySketches - (last?.sketches ?? 0);
  return {
    windows: all.windows,
    windowsPerSecond: all.perSecond,
    usPerWindow: all.usPer,
    steadyWindowsPerSecond: rate(f.intervals.slice(1)).perSecond,
    gcShare: sum(f.intervals, 'gcMs') / sum(f.intervals, 'applyMs'),
    retainedBytes,
    bytesPerEdge: retainedBytes / f.edges,
    bytesPerSketch: retainedBytes / (last?.sketches ?? Number.NaN),
    projectedSteadyBytes: retainedBytes + perSketch * Math.max(0, toCome),
  };
}

export function foldTable(f: FoldResult): string {
  const head = [
    '| interval | windows | apply (ms) | µs / window | windows / s | GC in apply (ms) | CPU / wall | advance (ms) | heap after GC (MiB) | RSS (MiB) | sketches held |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = f.intervals.map((r) =>
    [
      r.interval + 1,
      thousands(r.windows),
      ms(r.applyMs),
      ((r.applyMs * 1000) / r.windows).toFixed(1),
      thousands(r.windows / (r.applyMs / 1000)),
      ms(r.gcMs),
      (r.cpuMs / r.applyMs).toFixed(2),
      ms(r.advanceMs),
      mib(r.memory.heapUsed),
      mib(r.memory.rss),
      thousands(r.sketches),
    ].join(' | '),
  );
  return [...head, ...rows.map((row) => `| ${row} |`)].join('\n');
}
