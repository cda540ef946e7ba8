import type { DirectedGraph } from 'graphology';
import { betweenness as exactBetweenness } from 'graphology-metrics/centrality/index.js';
import { createUnweightedIndexedBrandes } from 'graphology-shortest-path/indexed-brandes.js';
import type { Horizon, ServiceGraph } from '../model.ts';
import { sampleIndices } from './rng.ts';
import { callsProjection, type ProjectedEdge } from './traffic.ts';
import { checkBoolean, checkHorizon, checkNumber, checkParams } from './validate.ts';

/**
 * Betweenness of the call structure (see centrality.ts for the projection and the options).
 * Exact betweenness is Brandes' O(V × E); above `defaultBetweennessSources` nodes it samples
 * that many sources (Brandes & Pich 2007) unless `k` says otherwise.
 */
export interface BetweennessOptions {
  horizon?: Horizon;
  k?: number;
  seed?: number;
  normalized?: boolean;
}

export interface BetweennessResult {
  /** False when sources were sampled. */
  exact: boolean;
  /** Source nodes used. */
  sources: number;
  normalized: boolean;
  scores: Record<string, number>;
}

/** Default sources: exact up to this many nodes, sampled above (10,000 × 100,000: < 1 s). */
export const defaultBetweennessSources = 256;

/** Betweenness of the call graph. Complexity O(k × E), k = V when exact. */
export function betweenness(
  graph: ServiceGraph,
  params: Record<string, never> = {},
  options: BetweennessOptions = {},
): BetweennessResult {
  checkParams('betweenness', params);
  const settings = betweennessSettings('betweenness', options);
  return betweennessOf(callsProjection(graph, settings.horizon), settings);
}

export interface BetweennessSettings {
  horizon: Horizon;
  /** Undefined: the default for the graph's size. */
  k: number | undefined;
  seed: number;
  normalized: boolean;
}

/** Validates the options on behalf of `method` (also used by centrality and bottlenecks). */
export function betweennessSettings(
  method: string,
  options: BetweennessOptions,
): BetweennessSettings {
  return {
    horizon: checkHorizon(method, options.horizon),
    k:
      options.k === undefined
        ? undefined
        : checkNumber(method, 'k', options.k, 1, { min: 1, integer: true }),
    seed: checkNumber(method, 'seed', options.seed, 1, { integer: true }),
    normalized: checkBoolean(method, 'normalized', options.normalized, true),
  };
}

/** Betweenness on an existing projection (so one projection can serve several analyses). */
export function betweennessOf(
  projection: DirectedGraph<Record<string, never>, ProjectedEdge>,
  settings: BetweennessSettings,
): BetweennessResult {
  const { seed, normalized } = settings;
  const n = projection.order;
  const k = settings.k ?? Math.min(n, defaultBetweennessSources);
  if (k >= n) {
    const scores = exactBetweenness(projection, { getEdgeWeight: null, normalized });
    return { exact: true, sources: n, normalized, scores };
  }
  const scores = betweennessFromSources(projection, sampleIndices(n, k, seed), normalized);
  return { exact: false, sources: k, normalized, scores };
}

/**
 * Brandes' accumulation from the given sources only, scaled by N/|sources| (and normalised like
 * graphology-metrics). With every node as a source it equals the exact betweenness.
 */
export function betweennessFromSources(
  projection: DirectedGraph<Record<string, never>, ProjectedEdge>,
  sources: readonly number[],
  normalized: boolean,
): Record<string, number> {
  const n = projection.order;
  const brandes = createUnweightedIndexedBrandes(projection);
  const delta = new Float64Array(n);
  const centrality = new Float64Array(n);
  for (const source of sources) {
    const [stack, predecessors, sigma] = brandes(source);
    delta.fill(0);
    while (stack.size !== 0) {
      const w = stack.pop() as number;
      const coefficient = (1 + (delta[w] as number)) / (sigma[w] as number);
      for (const v of predecessors[w] as number[]) {
        delta[v] = (delta[v] as number) + (sigma[v] as number) * coefficient;
      }
      if (w !== source) centrality[w] = (centrality[w] as number) + (delta[w] as number);
    }
  }
  let scale = sources.length > 0 ? n / sources.length : 1;
  if (normalized && n > 2) scale /= (n - 1) * (n - 2);
  const scores: Record<string, number> = {};
  projection.nodes().forEach((node, i) => {
    scores[node] = (centrality[i] as number) * scale;
  });
  return scores;
}
