/** The meshgraph vs networkx table (pure: unit-tested). */

import { percentile } from '../xds-scale/stats.ts';
import type { AnalysesResult } from './analyses-bench.ts';
import { names } from './analysis-steps.ts';
import type { NetworkxOutcome, NetworkxResult } from './networkx.ts';

export interface ComparisonRow {
  readonly analysis: string;
  readonly networkx: string;
  readonly meshgraphMs: number;
  readonly networkxMs: number;
  readonly sameAnswer: string;
}

export const median = (values: readonly number[]) => percentile(values, 50);
const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');
/** How many times longer networkx took (> 1: meshgraph is faster). */
export const ratio = (networkxMs: number, meshgraphMs: number) =>
  meshgraphMs > 0 && Number.isFinite(networkxMs / meshgraphMs)
    ? `×${(networkxMs / meshgraphMs).toFixed(networkxMs / meshgraphMs < 10 ? 2 : 1)}`
    : '–';

function runsOf(a: AnalysesResult, name: string): readonly number[] {
  const row = a.analyses.find((r) => r.name === name);
  if (!row) throw new Error(`compare: no analysis named '${name}'`);
  return row.runsMs;
}

const closure = (mismatches: readonly string[], n: number, what: string) =>
  mismatches.length === 0
    ? `yes: ${n}/${n} same ${what}`
    : `NO: ${mismatches.length}/${n} differ (${mismatches.slice(0, 3).join(', ')})`;
const diff = (v: number | null) => `max abs diff ${v === null ? '–' : v.toExponential(1)}`;
const row = (
  analysis: string,
  networkx: string,
  meshgraphMs: number,
  networkxMs: number,
  sameAnswer = '',
): ComparisonRow => ({ analysis, networkx, meshgraphMs, networkxMs, sameAnswer });

/** Per-node queries: p50 and p99 over the same nodes on both sides. */
function queryRows(a: AnalysesResult, nx: NetworkxResult): ComparisonRow[] {
  const { checks: c, timings: t } = nx;
  const b = a.blastRadius.latencyMs;
  const d = a.dependencies.latencyMs;
  const rows = [
    row(
      'blast radius (callers), p50 per node',
      'shortest_path_length on G.reverse()',
      b.p50,
      median(t.blastRadius),
      closure(c.blastRadiusMismatches, b.count, 'callers and depths'),
    ),
    row('blast radius (callers), p99 per node', '〃', b.p99, percentile(t.blastRadius, 99)),
  ];
  const n = t.shares.length;
  if (n > 0) {
    const same =
      c.sharesMismatches.length === 0
        ? diff(c.sharesMaxDiff)
        : `NO: callers differ for ${c.sharesMismatches.join(', ')}`;
    const samples = a.blastRadius.samplesMs.slice(0, n);
    rows.push(
      row(
        `blast radius with traffic shares, p50 of ${n} nodes`,
        '+ scipy.sparse.linalg.spsolve',
        median(samples),
        median(t.shares),
        same,
      ),
    );
  }
  rows.push(
    row(
      'dependencies, p50 per node',
      'single_source_shortest_path_length',
      d.p50,
      median(t.dependencies),
      closure(c.dependenciesMismatches, d.count, 'closure'),
    ),
    row('dependencies, p99 per node', '〃', d.p99, percentile(t.dependencies, 99)),
  );
  return rows;
}

/** Whole-graph analyses: median of the recorded runs on both sides. */
function graphRows(a: AnalysesResult, nx: NetworkxResult): ComparisonRow[] {
  const { checks: c, timings: t } = nx;
  const [aps, apsSame] = c.articulationPoints;
  const [bridges, bridgesSame] = c.bridges;
  const spof = `${apsSame && bridgesSame ? 'yes' : 'NO'}: ${aps} articulation points, ${bridges} bridges`;
  const q = (v: number) => v.toFixed(4);
  const louvain = `own RNGs: Q ${q(c.tsModularity)} vs ${q(c.modularity)} (both by networkx), ${c.communities} communities in networkx's`;
  const m = (name: string) => median(runsOf(a, name));
  return [
    row(
      'single points of failure',
      'to_undirected + articulation_points + bridges',
      m(names.spof),
      median(t.spof),
      spof,
    ),
    row(
      'PageRank (weighted by rate)',
      'pagerank(weight="rate")',
      m(names.pagerank),
      median(t.pagerank),
      diff(c.pagerankMaxDiff),
    ),
    row(
      'betweenness (same sampled sources)',
      'Brandes BFS + accumulation',
      m(names.betweenness),
      median(t.betweenness),
      diff(c.betweennessMaxDiff),
    ),
    row(
      'communities (Louvain)',
      'louvain_communities(weight="rate")',
      m(names.communities),
      median(t.communities),
      louvain,
    ),
  ];
}

export function comparisonRows(a: AnalysesResult, nx: NetworkxResult): ComparisonRow[] {
  const whole = graphRows(a, nx);
  const queries = (q: AnalysesResult['dependencies']) => sum(q.samplesMs);
  const meshgraph =
    queries(a.blastRadius) + queries(a.dependencies) + sum(whole.map((r) => r.meshgraphMs));
  const t = nx.timings;
  const networkx = sum(t.blastRadius) + sum(t.dependencies) + sum(whole.map((r) => r.networkxMs));
  const n = a.blastRadius.samplesMs.length;
  const total = row(
    `all of the above once (${n} blast radii without shares, ${n} dependencies)`,
    '',
    meshgraph,
    networkx,
  );
  return [...queryRows(a, nx), ...whole, total];
}

export function comparisonTable(a: AnalysesResult, outcome: NetworkxOutcome): string {
  if (!outcome.available) return `networkx: not compared: ${outcome.reason}`;
  const head = [
    '| analysis | networkx call | meshgraph (ms) | networkx (ms) | networkx / meshgraph | same answer |',
    '|---|---|---:|---:|---:|---|',
  ];
  const rows = comparisonRows(a, outcome.result).map(
    (r) =>
      `| ${r.analysis} | ${r.networkx} | ${ms(r.meshgraphMs)} | ${ms(r.networkxMs)} | ${ratio(r.networkxMs, r.meshgraphMs)} | ${r.sameAnswer} |`,
  );
  return [...head, ...rows].join('\n');
}

export function versionsLine(outcome: NetworkxOutcome): string {
  if (!outcome.available) return `networkx: ${outcome.reason}`;
  const r = outcome.result;
  const rss = (r.maxRssBytes / 2 ** 20).toFixed(0);
  return `networkx ${r.networkx} (Python ${r.python}, numpy ${r.numpy}, scipy ${r.scipy}) via ${outcome.python}; graph built in ${r.graph.buildMs.toFixed(0)} ms (${r.graph.nodes} nodes, ${r.graph.edges} edges), max RSS ${rss} MiB; CPU / wall ${(r.cpuMs / r.wallMs).toFixed(2)}`;
}
