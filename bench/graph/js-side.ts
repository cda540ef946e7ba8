/**
 * The TypeScript side of the graph benchmark, in a child process of its own (run.ts forks it
 * with --expose-gc and a heap limit), so its memory figures are its own: builds the topology,
 * folds the windows (fold-bench.ts), runs the analyses on the folded graph (analyses-bench.ts)
 * and exports the call graph, the sampled sources and its answers for networkx_bench.py.
 *
 * argv[2]: the JSON of {@link SideOptions}. Sends one message: `{ type: 'result', … }` or
 * `{ type: 'error', message }`.
 */

import { writeFileSync } from 'node:fs';
import { sampleIndices } from '../../stream-jobs/graph/analyses/rng.ts';
import { callsProjection } from '../../stream-jobs/graph/analyses/traffic.ts';
import type { ServiceGraph } from '../../stream-jobs/graph/model.ts';
import { type AnalysesResult, measureAnalyses, type TsAnswers } from './analyses-bench.ts';
import { type FoldResult, measureFold } from './fold-bench.ts';
import { generateTopology, type TopologyOptions } from './topology.ts';

export interface SideOptions extends TopologyOptions {
  readonly intervals: number;
  readonly ringSample: number;
  /** Stop after the fold: no analyses, no export. */
  readonly foldOnly: boolean;
  readonly targets: number;
  readonly repeats: number;
  readonly k: number;
  /** Targets (the first of `targets`) whose blast-radius shares networkx checks. */
  readonly shareTargets: number;
  /** Where to write the export for networkx_bench.py. */
  readonly exportPath: string;
}

export interface SideResult {
  readonly type: 'result';
  readonly topology: {
    readonly calls: number;
    readonly endpoints: number;
    readonly incident: string;
    readonly incidentCaller: string;
  };
  readonly generateMs: number;
  readonly fold: FoldResult;
  /** Undefined with `foldOnly`. */
  readonly analyses: AnalysesResult | undefined;
}

export interface GraphExport {
  readonly nodes: readonly string[];
  readonly edges: ReadonlyArray<readonly [string, string, number]>;
  readonly targets: readonly string[];
  /** The betweenness sources the TypeScript side sampled (by name). */
  readonly sources: readonly string[];
  readonly k: number;
  readonly seed: number;
  readonly repeats: number;
  readonly answers: TsAnswers;
}

const progress = (line: string) => process.stderr.write(`[graph] ${line}\n`);

/** The call structure as the analyses see it (`calls` edges between non-endpoint nodes). */
function exportGraph(graph: ServiceGraph, o: SideOptions, targets: string[], answers: TsAnswers) {
  const projection = callsProjection(graph, '5m');
  const nodes = projection.nodes();
  const edges: Array<[string, string, number]> = [];
  projection.forEachEdge((_e, attributes, source, target) => {
    edges.push([source, target, attributes.weight]);
  });
  const sources = sampleIndices(nodes.length, o.k, o.seed).map((i) => nodes[i] as string);
  const document: GraphExport = {
    ...{ nodes, edges, targets, sources, k: o.k, seed: o.seed, repeats: o.repeats },
    answers,
  };
  writeFileSync(o.exportPath, JSON.stringify(document));
}

async function main(o: SideOptions): Promise<SideResult> {
  const t0 = performance.now();
  const topology = generateTopology(o);
  const generateMs = performance.now() - t0;
  progress(
    `topology: ${o.services} services, ${topology.calls.length} calls, ${topology.endpoints.length} endpoints`,
  );
  const { fold, result: foldResult } = await measureFold(
    topology,
    ...[o.intervals, o.seed, o.ringSample],
    progress,
  );
  const { calls, endpoints, incident, incidentCaller } = topology;
  const shape = { calls: calls.length, endpoints: endpoints.length, incident, incidentCaller };
  if (o.foldOnly) {
    return { type: 'result', topology: shape, generateMs, fold: foldResult, analyses: undefined };
  }
  const targets = sampleIndices(topology.services.length, o.targets, o.seed).map(
    (i) => topology.services[i] as string,
  );
  const { repeats, k, seed, shareTargets } = o;
  const settings = { targets, incident, incidentCaller, repeats, k, seed, shareTargets };
  const { result, answers } = await measureAnalyses(fold.graph(), settings, progress);
  exportGraph(fold.graph(), o, targets, answers);
  return {
    type: 'result',
    topology: shape,
    generateMs,
    fold: foldResult,
    analyses: result,
  };
}

main(JSON.parse(process.argv[2] ?? '{}') as SideOptions).then(
  (result) => process.send?.(result, () => process.exit(0)),
  (error: Error) =>
    process.send?.({ type: 'error', message: error.stack ?? String(error) }, () => process.exit(1)),
);
