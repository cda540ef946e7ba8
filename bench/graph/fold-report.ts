/** The fold section of the graph benchmark's report (pure: unit-tested). */

import type { FoldInterval, FoldResult } from './fold-bench.ts';
import { fullRingBytesPerEdge } from './full-rings.ts';
import { heldBytes } from './gc-meter.ts';

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
  /** Heap + typed arrays the fold retains after the last interval, and per edge / sketch. */
  readonly retainedBytes: number;
  readonly bytesPerEdge: number;
  readonly bytesPerSketch: number;
  /**
   * Once every ring is full (FoldResult.fullRings: a sample folded for 70 minutes), per edge
   * and scaled to this fold's edges: heap + typed arrays, and the heap part alone (what Node's
   * heap limit applies to). NaN without a sample.
   */
  readonly fullRingBytesPerEdge: number;
  readonly fullRingBytes: number;
  readonly fullRingHeapBytes: number;
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
  const retainedBytes = last ? heldBytes(last.memory) - heldBytes(f.baseline) : Number.NaN;
  const ring = f.fullRings;
  const perEdge = ring ? fullRingBytesPerEdge(ring) : Number.NaN;
  const heapPerEdge = ring ? (ring.after.heapUsed - ring.before.heapUsed) / ring.edges : Number.NaN;
  return {
    windows: all.windows,
    windowsPerSecond: all.perSecond,
    usPerWindow: all.usPer,
    steadyWindowsPerSecond: rate(f.intervals.slice(1)).perSecond,
    gcShare: sum(f.intervals, 'gcMs') / sum(f.intervals, 'applyMs'),
    retainedBytes,
    bytesPerEdge: retainedBytes / f.edges,
    bytesPerSketch: retainedBytes / (last?.sketches ?? Number.NaN),
    fullRingBytesPerEdge: perEdge,
    fullRingBytes: perEdge * f.edges,
    fullRingHeapBytes: heapPerEdge * f.edges,
  };
}

/** The fold's prose: rate, GC, memory now and at full rings against `heapLimitBytes`. */
export function foldParagraph(f: FoldResult, heapLimitBytes: number, heapMiB: number): string {
  const s = foldSummary(f);
  const span = f.intervals.length * 10;
  const ring = f.fullRings;
  const over = s.fullRingHeapBytes > heapLimitBytes ? 'over' : 'under';
  const full = ring
    ? `Once every latency ring is full: **${mib(s.fullRingBytes)} MiB** (${mib(s.fullRingHeapBytes)} MiB of it heap, ${over} the ${mib(heapLimitBytes)} MiB heap limit Node gives a process on this machine by default), ${thousands(s.fullRingBytesPerEdge)} B per edge, measured on ${thousands(ring.edges)} of the ${thousands(f.edges)} edges folded for ${ring.intervals / 6} minutes of event time (${thousands(ring.sketches / ring.edges)} sketches and ${thousands(ring.windowsRemembered / ring.streams)} remembered windows per edge at the end, ${(ring.wallMs / 1000).toFixed(0)} s) and scaled to ${thousands(f.edges)} edges; the TypeScript side ran with \`--max-old-space-size=${heapMiB}\`.`
    : 'Memory at full rings was not measured (`--ring-sample 0`).';
  return [
    `**${thousands(s.windowsPerSecond)} windows/s** (${s.usPerWindow.toFixed(1)} µs/window) over ${thousands(s.windows)} windows; ${thousands(s.steadyWindowsPerSecond)} windows/s after the first interval (which also creates the nodes and edges). GC pauses take ${(s.gcShare * 100).toFixed(0)}% of the apply time.`,
    `Retained by the fold after ${span} s of event time: **${mib(s.retainedBytes)} MiB** (V8 heap + typed arrays), ${thousands(s.bytesPerEdge)} B per edge, ${thousands(s.bytesPerSketch)} B per latency sketch held.`,
    full,
    'CPU / wall is the process CPU time (all threads) over the wall time: V8’s GC threads can lift it above 1; well under 1 means other processes had the cores and the times are inflated.',
  ].join(' ');
}

export function foldTable(f: FoldResult): string {
  const head = [
    '| interval | windows | apply (ms) | µs / window | windows / s | GC in apply (ms) | CPU / wall | advance (ms) | heap after GC (MiB) | typed arrays (MiB) | RSS (MiB) | sketches held |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
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
      mib(r.memory.arrayBuffers),
      mib(r.memory.rss),
      thousands(r.sketches),
    ].join(' | '),
  );
  return [...head, ...rows.map((row) => `| ${row} |`)].join('\n');
}
