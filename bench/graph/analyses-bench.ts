/**
 * The analyses on the folded graph: blast radius and dependencies over many random nodes
 * (latency distributions), then every analysis of stream-jobs/graph/analyses once per run, back
 * to back (the full set); run 0 is reported apart as the first (cold: JIT, lazy allocation).
 * The answers the networkx side can check are kept ({@link TsAnswers}).
 */

import type * as a from '../../stream-jobs/graph/analyses/index.ts';
import { blastRadius, dependencies } from '../../stream-jobs/graph/analyses/index.ts';
import type { ServiceGraph } from '../../stream-jobs/graph/model.ts';
import { type Summary, summarize } from '../xds-scale/stats.ts';
import { type AnalysesOptions, names, steps } from './analysis-steps.ts';
import { cpuSince } from './fold-bench.ts';
import { GcMeter } from './gc-meter.ts';

export type { AnalysesOptions } from './analysis-steps.ts';

export interface AnalysisTiming {
  readonly name: string;
  /** The call, as a reader would write it. */
  readonly call: string;
  /** Run 0 (cold), then the recorded runs. */
  readonly firstMs: number;
  readonly runsMs: readonly number[];
  /** What it found, in a few words. */
  readonly found: string;
}

export interface QueryLatency {
  readonly latencyMs: Summary;
  /** Every call's latency, in target order. */
  readonly samplesMs: readonly number[];
  /** Nodes in each answer (callers; dependencies). */
  readonly sizes: Summary;
}

export interface AnalysesResult {
  readonly blastRadius: QueryLatency & { readonly notConverged: number };
  readonly dependencies: QueryLatency;
  readonly analyses: readonly AnalysisTiming[];
  readonly fullSet: {
    readonly firstMs: number;
    readonly runsMs: readonly number[];
    /** GC pauses and process CPU time (all threads) within each run (first, then recorded). */
    readonly gcMs: readonly number[];
    readonly cpuMs: readonly number[];
  };
}

/** What the TypeScript side answered, for the networkx side to compare (see networkx_bench.py). */
export interface TsAnswers {
  /** Per target: [callers, Σ depth]; per source: [dependencies, Σ depth]. */
  readonly blastRadius: Record<string, [number, number]>;
  readonly dependencies: Record<string, [number, number]>;
  /** For the first `shareTargets` targets: caller → share. */
  readonly shares: Record<string, Record<string, number>>;
  readonly articulationPoints: readonly string[];
  readonly bridges: ReadonlyArray<readonly [string, string]>;
  readonly pagerank: Record<string, number>;
  readonly betweenness: Record<string, number>;
  readonly communities: readonly (readonly string[])[];
  readonly modularity: number;
}

const sumDepth = (rows: readonly { depth: number }[]) => rows.reduce((s, r) => s + r.depth, 0);

/** Times `run` per node (after 20 unrecorded warm-up calls); `keep` takes what to check. */
function timeQueries<T>(
  nodes: readonly string[],
  run: (node: string) => T,
  size: (r: T) => number,
  keep: (node: string, result: T, i: number) => void,
): QueryLatency {
  for (const node of nodes.slice(0, 20)) run(node);
  const latencies: number[] = [];
  const sizes: number[] = [];
  nodes.forEach((node, i) => {
    const t0 = performance.now();
    const result = run(node);
    latencies.push(performance.now() - t0);
    sizes.push(size(result));
    keep(node, result, i);
  });
  return { latencyMs: summarize(latencies), samplesMs: latencies, sizes: summarize(sizes) };
}

export async function measureAnalyses(
  g: ServiceGraph,
  o: AnalysesOptions,
  progress: (line: string) => void,
): Promise<{ result: AnalysesResult; answers: TsAnswers }> {
  const blastAnswers: TsAnswers['blastRadius'] = {};
  const depsAnswers: TsAnswers['dependencies'] = {};
  const shares: TsAnswers['shares'] = {};
  let notConverged = 0;
  const blast = timeQueries(
    o.targets,
    (node) => blastRadius(g, { node }),
    (r) => r.callers.length,
    (node, r, i) => {
      blastAnswers[node] = [r.callers.length, sumDepth(r.callers)];
      if (i < o.shareTargets)
        shares[node] = Object.fromEntries(r.callers.map((c) => [c.node, c.share]));
      if (!r.converged) notConverged++;
    },
  );
  progress(`blast radius: ${o.targets.length} targets, p50 ${blast.latencyMs.p50.toFixed(1)} ms`);
  const deps = timeQueries(
    o.targets,
    (node) => dependencies(g, { node }),
    (r) => r.dependencies.length,
    (node, r) => {
      depsAnswers[node] = [r.dependencies.length, sumDepth(r.dependencies)];
    },
  );
  progress(`dependencies: ${o.targets.length} nodes, p50 ${deps.latencyMs.p50.toFixed(1)} ms`);
  const list = steps(g, o);
  const times = list.map(() => [] as number[]);
  const found: string[] = [];
  const full: number[] = [];
  const gcMs: number[] = [];
  const cpuMs: number[] = [];
  const meter = new GcMeter();
  const last = new Map<string, unknown>();
  for (let run = 0; run <= o.repeats; run++) {
    await meter.start();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    list.forEach((s, i) => {
      const t0 = performance.now();
      const result = s.run();
      times[i]?.push(performance.now() - t0);
      found[i] = s.found(result as never);
      last.set(s.name, result);
    });
    full.push(performance.now() - start);
    cpuMs.push(cpuSince(cpu0));
    gcMs.push(await meter.read());
    progress(`full set, run ${run}${run === 0 ? ' (first)' : ''}: ${full.at(-1)?.toFixed(0)} ms`);
  }
  const analyses = list.map((s, i) => {
    const [firstMs = Number.NaN, ...runsMs] = times[i] ?? [];
    return { name: s.name, call: s.call, firstMs, runsMs, found: found[i] ?? '' };
  });
  meter.stop();
  const [firstMs = Number.NaN, ...runsMs] = full;
  const result: AnalysesResult = {
    blastRadius: { ...blast, notConverged },
    dependencies: deps,
    analyses,
    fullSet: { firstMs, runsMs, gcMs, cpuMs },
  };
  const spof = last.get(names.spof) as a.SinglePointsOfFailure;
  const louvain = last.get(names.communities) as a.Communities;
  const answers: TsAnswers = {
    blastRadius: blastAnswers,
    dependencies: depsAnswers,
    shares,
    articulationPoints: spof.articulationPoints.map((p) => p.node),
    bridges: spof.bridges,
    pagerank: (last.get(names.pagerank) as a.PagerankResult).scores,
    betweenness: (last.get(names.betweenness) as a.BetweennessResult).scores,
    communities: louvain.communities.map((c) => c.members),
    modularity: louvain.modularity,
  };
  return { result, answers };
}
