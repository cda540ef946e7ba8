/** The graph benchmark's result shape and its Markdown rendering (pure: unit-tested). */

import type { MachineInfo } from '../xds-scale/machine.ts';
import { machineLine } from '../xds-scale/report.ts';
import type { AnalysesResult } from './analyses-bench.ts';
import { comparisonTable, median, versionsLine } from './compare.ts';
import type { FoldResult } from './fold-bench.ts';
import { foldParagraph, foldTable } from './fold-report.ts';
import type { NetworkxOutcome } from './networkx.ts';
import type { Options } from './options.ts';

export interface Report {
  readonly benchmark: 'graph';
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly options: Omit<Options, 'json' | 'md' | 'help'>;
  readonly topology: {
    readonly calls: number;
    readonly endpoints: number;
    readonly incident: string;
    readonly incidentCaller: string;
    readonly generateMs: number;
  };
  /** os.loadavg() (1, 5, 15 min) when the run started and ended: was the machine quiet? */
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** The heap limit of the process that started the benchmark (Node's default unless set). */
  readonly defaultHeapLimitBytes: number;
  readonly fold: FoldResult;
  readonly analyses: AnalysesResult;
  readonly networkx: NetworkxOutcome;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');
const thousands = (v: number) => Math.round(v).toLocaleString('en-US');

export function queriesTable(a: AnalysesResult): string {
  const head = [
    '| query | nodes | p50 (ms) | p99 (ms) | max (ms) | mean (ms) | answer size p50 / max |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const row = (name: string, q: AnalysesResult['dependencies']) =>
    `| ${name} | ${q.latencyMs.count} | ${ms(q.latencyMs.p50)} | ${ms(q.latencyMs.p99)} | ${ms(q.latencyMs.max)} | ${ms(q.latencyMs.mean)} | ${q.sizes.p50} / ${q.sizes.max} |`;
  return [
    ...head,
    row('blastRadius({ node })', a.blastRadius),
    row('dependencies({ node })', a.dependencies),
  ].join('\n');
}

export function analysesTable(a: AnalysesResult): string {
  const head = [
    '| analysis | call | first run (ms) | median (ms) | min (ms) | found |',
    '|---|---|---:|---:|---:|---|',
  ];
  const rows = a.analyses.map(
    (r) =>
      `| ${r.name} | \`${r.call}\` | ${ms(r.firstMs)} | ${ms(median(r.runsMs))} | ${ms(Math.min(...r.runsMs))} | ${r.found} |`,
  );
  const f = a.fullSet;
  const full = `| **full set** | all of the above, back to back | ${ms(f.firstMs)} | ${ms(median(f.runsMs))} | ${ms(Math.min(...f.runsMs))} | |`;
  return [...head, ...rows, full].join('\n');
}

const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' / ');

export function markdown(r: Report): string {
  const o = r.options;
  const a = r.analyses;
  const gc = median(a.fullSet.gcMs.slice(1));
  const cpu = a.fullSet.cpuMs.map((c, i) =>
    (c / (i === 0 ? a.fullSet.firstMs : (a.fullSet.runsMs[i - 1] ?? Number.NaN))).toFixed(2),
  );
  return [
    `# graph: fold rate, blast-radius latency and analyses on ${thousands(o.services)} services / ${thousands(r.topology.calls)} calls`,
    '',
    `- Machine: ${machineLine(r.machine)}; load average (1 / 5 / 15 min) ${load(r.load.start)} at the start, ${load(r.load.end)} at the end`,
    `- Command: \`${r.command}\``,
    `- Date: ${r.date}`,
    `- Topology (seed ${o.seed}): ingress + ${thousands(o.services)} services in ${o.tiers} tiers, ${thousands(r.topology.calls)} \`calls\` edges (ingress → every first-tier service included; callees skewed to per-tier hubs; 0.2% answered by a call back), ${thousands(r.topology.endpoints)} endpoints (${o.endpointsPerService} per service, \`hosts\` edges). Folded graph: ${thousands(r.fold.nodes)} nodes, ${thousands(r.fold.edges)} edges.`,
    `- Fold: ${o.intervals} intervals of 10-s EdgeStats windows, one per edge and endpoint each, shuffled within an interval; ${r.topology.incident}'s inbound calls fail at 30% from interval ${Math.floor(o.intervals / 2) + 1} on.`,
    `- Analyses, in the same process as the fold: ${o.targets} random nodes (seeded) for blast radius and dependencies (20 unrecorded warm-up calls first); every analysis once per run, a first run then ${o.repeats} recorded (median); betweenness samples k = ${o.k} sources (seed ${o.seed}) on both sides.`,
    '',
    '## Fold: EdgeStats windows into the live graph',
    '',
    foldParagraph(r.fold, r.defaultHeapLimitBytes, r.options.heapMiB),
    '',
    foldTable(r.fold),
    '',
    '## Blast radius and dependencies over random nodes',
    '',
    queriesTable(a),
    '',
    `Blast radius did not converge for ${a.blastRadius.notConverged} of ${o.targets} nodes.`,
    '',
    '## Each analysis, and the full set',
    '',
    analysesTable(a),
    '',
    `GC pauses within a full-set run: median ${ms(gc)} ms. CPU / wall per run (as above): ${cpu.join(', ')}.`,
    '',
    '## Against networkx, on the same exported call graph',
    '',
    versionsLine(r.networkx),
    '',
    comparisonTable(a, r.networkx),
    '',
  ].join('\n');
}
