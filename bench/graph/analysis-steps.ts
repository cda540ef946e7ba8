/** The analyses the graph benchmark times, one step each (the full set runs them in order). */

import * as a from '../../stream-jobs/graph/analyses/index.ts';
import { ingressNode, type ServiceGraph } from '../../stream-jobs/graph/model.ts';

export interface AnalysesOptions {
  readonly targets: readonly string[];
  readonly incident: string;
  readonly incidentCaller: string;
  readonly repeats: number;
  readonly k: number;
  readonly seed: number;
  /** How many of `targets` (the first) keep their blast-radius shares for networkx to check. */
  readonly shareTargets: number;
}

/** Names of the steps that networkx has a counterpart for (compare.ts). */
export const names = {
  spof: 'single points of failure',
  pagerank: 'PageRank (weighted)',
  betweenness: 'betweenness (sampled)',
  communities: 'communities (Louvain)',
} as const;

export interface Step {
  name: string;
  call: string;
  run: () => unknown;
  found: (result: never) => string;
}

/** Every analysis, in the order the full set runs them. */
export function steps(g: ServiceGraph, o: AnalysesOptions): Step[] {
  const { k, seed } = o;
  const step = <T>(name: string, call: string, run: () => T, found: (r: T) => string): Step => ({
    name,
    call,
    run,
    found: found as (result: never) => string,
  });
  const top = (r: a.Bottlenecks) => `top ${r.nodes[0]?.node ?? '–'}`;
  // The fold holds a minute of windows: 1 m against 1 h is what can tell the incident apart.
  const recent = { horizon: '1m', baseline: '1h' } as const;
  const window = "{ horizon: '1m', baseline: '1h' }";
  const topCause = (r: a.RootCause) => {
    const best = r.candidates[0];
    return best ? `top ${best.node} (score ${best.score.toFixed(3)})` : 'no candidate';
  };
  return [
    step(
      'blast radius (hub)',
      `blastRadius({ node: '${o.incident}' })`,
      () => a.blastRadius(g, { node: o.incident }),
      (r) => `${r.callers.length} callers`,
    ),
    step(
      'dependencies (ingress)',
      `dependencies({ node: 'ingress' })`,
      () => a.dependencies(g, { node: ingressNode }),
      (r) => `${r.dependencies.length} dependencies`,
    ),
    step(
      'critical path',
      `criticalPath({ entrypoint: 'ingress' })`,
      () => a.criticalPath(g, { entrypoint: ingressNode }),
      (r) => `${r.paths.length} paths, ${r.paths[0]?.hops.length ?? 0} hops`,
    ),
    step(
      'bottlenecks: traffic',
      `bottlenecks({ by: 'traffic' })`,
      () => a.bottlenecks(g, { by: 'traffic' }),
      top,
    ),
    step(
      'bottlenecks: saturation',
      `bottlenecks({ by: 'saturation' })`,
      () => a.bottlenecks(g, { by: 'saturation' }),
      top,
    ),
    step(
      'bottlenecks: betweenness × latency',
      `bottlenecks({ by: 'betweenness-latency' }, { k: ${k} })`,
      () => a.bottlenecks(g, { by: 'betweenness-latency' }, { k, seed }),
      top,
    ),
    step(
      names.spof,
      'singlePointsOfFailure()',
      () => a.singlePointsOfFailure(g),
      (r) => `${r.articulationPoints.length} articulation points, ${r.bridges.length} bridges`,
    ),
    step(
      names.pagerank,
      'pagerank()',
      () => a.pagerank(g),
      (r) => `${Object.keys(r.scores).length} nodes`,
    ),
    step(
      names.betweenness,
      `betweenness({}, { k: ${k} })`,
      () => a.betweenness(g, {}, { k, seed }),
      (r) => `${r.sources} sources`,
    ),
    step(
      'centrality (both, one projection)',
      `centrality({}, { k: ${k} })`,
      () => a.centrality(g, {}, { k, seed }),
      () => 'PageRank + betweenness',
    ),
    step(
      names.communities,
      'communities()',
      () => a.communities(g, {}, { seed }),
      (r) => `${r.communities.length} communities, Q = ${r.modularity.toFixed(3)}`,
    ),
    step(
      'root cause (whole mesh)',
      `rootCause({ symptom: 'ingress' }, ${window})`,
      () => a.rootCause(g, { symptom: ingressNode }, recent),
      topCause,
    ),
    step(
      "root cause (the incident's caller)",
      `rootCause({ symptom: '${o.incidentCaller}' }, ${window})`,
      () => a.rootCause(g, { symptom: o.incidentCaller }, recent),
      topCause,
    ),
  ];
}
