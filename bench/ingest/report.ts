/** The ingest benchmark's report: its shape, the tables printed and committed (pure). */

import type { MachineInfo } from '../xds-scale/machine.ts';
import { type LagSummary, ratio } from './histogram.ts';
import type { Options } from './options.ts';

export type Role = 'client' | 'collector' | 'kafka' | 'rollup' | 'driver';
export const roles: readonly Role[] = ['client', 'collector', 'kafka', 'rollup', 'driver'];

export interface RateResult {
  /** Records/s asked of the client. */
  readonly offered: number;
  /** Over the measured window: records Kafka acknowledged to the collector, ClickHouse acknowledged. */
  readonly producedPerS: number;
  readonly insertedPerS: number;
  /** Insert acknowledgment − start_time, records scheduled inside the window (all of them). */
  readonly lagMs: LagSummary;
  /** Records scheduled in the window that were not inserted by the end of the drain. */
  readonly lagMissing: number;
  /** % of one core over the window, per process; `machine`: % of all cores, anyone's work. */
  readonly cpuPct: Record<Role, number> & { machine: number };
  readonly rssMiB: Record<'collector' | 'rollup' | 'kafka', { end: number; max: number }>;
  readonly client: { lateMaxMs: number; busy: number; pendingMaxBytes: number; messages: number };
  readonly rollup: { rowsPerInsert: number; insertMs: number };
  /** Whole run: records sent, rows inserted when the drain ended, how long the drain took. */
  readonly total: { sent: number; inserted: number; drainMs: number };
  /** Rows acknowledged per second from t0 (warm-up, window, drain). */
  readonly insertedPerSecond: number[];
  readonly loadAverageBefore: number | undefined;
}

export interface Report {
  readonly benchmark: 'ingest';
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly options: Omit<Options, 'json' | 'md' | 'help'>;
  readonly results: RateResult[];
}

export const machineLine = (m: MachineInfo) =>
  `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`;

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fixed = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly string[][]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

export function resultsTable(results: readonly RateResult[]): string {
  return table(
    [
      'offered rec/s',
      'into Kafka rec/s',
      'inserted rec/s',
      'lag p50 ms',
      'lag p99 ms',
      'lag max ms',
      'CPU % client / collector / kafka / rollup',
      'machine busy %',
      'RSS MiB collector / rollup (max)',
    ],
    results.map((r) => [
      int(r.offered),
      int(r.producedPerS),
      int(r.insertedPerS),
      int(r.lagMs.p50),
      int(r.lagMs.p99),
      int(r.lagMs.max),
      [r.cpuPct.client, r.cpuPct.collector, r.cpuPct.kafka, r.cpuPct.rollup].map(int).join(' / '),
      int(r.cpuPct.machine),
      `${int(r.rssMiB.collector.max)} / ${int(r.rssMiB.rollup.max)}`,
    ]),
  );
}

/** Each rate against the first: does the pipeline scale with the load, and what does it cost. */
export function ratiosTable(results: readonly RateResult[]): string {
  const base = results[0];
  if (!base) return '';
  return table(
    [
      'offered vs first',
      'inserted ×',
      'inserted / offered',
      'lag p99 ×',
      'collector CPU ×',
      'rollup CPU ×',
      'kafka CPU ×',
    ],
    results.map((r) => [
      `${int(r.offered)} / ${int(base.offered)}`,
      fixed(ratio(r.insertedPerS, base.insertedPerS)),
      fixed(ratio(r.insertedPerS, r.offered)),
      fixed(ratio(r.lagMs.p99, base.lagMs.p99)),
      fixed(ratio(r.cpuPct.collector, base.cpuPct.collector)),
      fixed(ratio(r.cpuPct.rollup, base.cpuPct.rollup)),
      fixed(ratio(r.cpuPct.kafka, base.cpuPct.kafka)),
    ]),
  );
}

/** Whether a rate met the target: inserted ≥ 98% of offered and lag p99 < 2 s. */
export function meetsTarget(r: RateResult): boolean {
  return r.insertedPerS >= 0.98 * r.offered && r.lagMs.p99 < 2000 && r.lagMissing === 0;
}

export function markdown(report: Report): string {
  const o = report.options;
  return `# ingest benchmark

- machine: ${machineLine(report.machine)}
- command: \`${report.command}\`
- date: ${report.date}
- load: ${o.streams} ALS streams, ≤ ${o.batch} entries per message, open loop; ${o.warmupS} s
  warm-up, then ${o.durationS} s measured; a fresh Kafka, collector, rollup and ClickHouse folder
  per rate. Method and caveats: [bench/ingest/README.md](../ingest/README.md).

${resultsTable(report.results)}

${ratiosTable(report.results)}

Target (≥ 50,000 records/s inserted, lag p99 < 2 s, all on this machine): ${report.results
    .map((r) => `${int(r.offered)}/s ${meetsTarget(r) ? 'met' : 'not met'}`)
    .join('; ')}.
`;
}
