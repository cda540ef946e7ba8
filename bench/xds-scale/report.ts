/** The benchmark's result shape and its Markdown rendering (pure: unit-tested). */

import type { MachineInfo } from './machine.ts';
import type { Memory } from './protocol.ts';
import type { Summary } from './stats.ts';

/** One weight change as every stream saw it (milliseconds). */
export interface ChangeFigures {
  readonly change: number;
  readonly weight: number;
  /** Waiting until no stream had an EDS response un-ACKed, before the change. */
  readonly settleMs: number;
  /** `controlPlane.apply` itself: rebuild snapshots and queue the write to every stream. */
  readonly applyMs: number;
  /** The first stream's receipt. */
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  /** The last stream's receipt: when every simulated Envoy had the change. */
  readonly max: number;
  /** The clients process's event-loop active time until the last receipt (CPU it competed for). */
  readonly clientBusyMs: number;
}

export interface ScaleResult {
  readonly streams: number;
  readonly channels: number;
  /** Established TCP connections to the server, counted in /proc/net/tcp (null off Linux). */
  readonly connections: number | null;
  /** From the first stream opened until all N had ACKed LDS, RDS, CDS and EDS. */
  readonly syncMs: number;
  /** push→receipt over every (stream, change) pair. */
  readonly latencyMs: Summary;
  /** Per change: push→receipt of the last stream. */
  readonly lastStreamMs: Summary;
  readonly applyMs: Summary;
  readonly clientBusyMs: Summary;
  readonly server: {
    readonly idle: Memory;
    readonly connected: Memory;
    readonly afterChanges: Memory;
  };
  readonly clients: Memory;
  readonly perChange: readonly ChangeFigures[];
}

export interface Report {
  readonly benchmark: 'xds-scale';
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly options: Readonly<Record<string, unknown>>;
  readonly results: readonly ScaleResult[];
}

const MiB = 2 ** 20;
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const ratio = (a: number, b: number) =>
  b > 0 && Number.isFinite(a / b) ? `×${(a / b).toFixed(2)}` : '–';

/** Memory the server holds per connected stream (retained heap, or RSS), in KiB. */
export function perStreamKiB(r: ScaleResult, key: 'rss' | 'heapUsed'): number {
  return (r.server.connected[key] - r.server.idle[key]) / 1024 / r.streams;
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`;
}

export function resultsTable(results: readonly ScaleResult[]): string {
  const head = [
    '| streams | channels / TCP conns | initial sync (ms) | push→receipt p50 (ms) | p99 (ms) | max (ms) | last stream p50 (ms) | apply() p50 (ms) | clients busy p50 (ms) | server RSS idle → N (MiB) | heap idle → N (MiB) | RSS / stream (KiB) | heap / stream (KiB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = results.map((r) =>
    [
      r.streams,
      `${r.channels} / ${r.connections ?? '?'}`,
      ms(r.syncMs),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      ms(r.lastStreamMs.p50),
      ms(r.applyMs.p50),
      ms(r.clientBusyMs.p50),
      `${mib(r.server.idle.rss)} → ${mib(r.server.connected.rss)}`,
      `${mib(r.server.idle.heapUsed)} → ${mib(r.server.connected.heapUsed)}`,
      perStreamKiB(r, 'rss').toFixed(1),
      perStreamKiB(r, 'heapUsed').toFixed(1),
    ].join(' | '),
  );
  return [...head, ...rows.map((row) => `| ${row} |`)].join('\n');
}

/** Each larger N against the smallest: how the figures grow with the stream count. */
export function ratiosTable(results: readonly ScaleResult[]): string {
  const [base, ...others] = [...results].sort((a, b) => a.streams - b.streams);
  if (!base || others.length === 0) return '';
  const head = [
    `| vs ${base.streams} streams | streams | push→receipt p50 | p99 | last stream p50 | apply() p50 | clients busy p50 | RSS / stream | heap / stream |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = others.map((r) =>
    [
      `${r.streams} streams`,
      ratio(r.streams, base.streams),
      ratio(r.latencyMs.p50, base.latencyMs.p50),
      ratio(r.latencyMs.p99, base.latencyMs.p99),
      ratio(r.lastStreamMs.p50, base.lastStreamMs.p50),
      ratio(r.applyMs.p50, base.applyMs.p50),
      ratio(r.clientBusyMs.p50, base.clientBusyMs.p50),
      ratio(perStreamKiB(r, 'rss'), perStreamKiB(base, 'rss')),
      ratio(perStreamKiB(r, 'heapUsed'), perStreamKiB(base, 'heapUsed')),
    ].join(' | '),
  );
  return [...head, ...rows.map((row) => `| ${row} |`)].join('\n');
}

export function markdown(report: Report): string {
  const o = report.options;
  return [
    '# xds-scale: weight change push→receipt and server memory vs. ADS streams',
    '',
    `- Machine: ${machineLine(report.machine)}`,
    `- Command: \`${report.command}\``,
    `- Date: ${report.date}`,
    `- Workload: ${o.clusters} adaptive clusters × ${o.endpoints} endpoints behind 1 listener; ${o.changes} weight changes (after ${o.warmup} unrecorded warm-up changes), each once every stream had the previous one; ${o.perChannel} streams per gRPC channel.`,
    '',
    resultsTable(report.results),
    '',
    ratiosTable(report.results),
    '',
  ].join('\n');
}
