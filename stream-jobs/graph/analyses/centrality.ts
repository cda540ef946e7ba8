import type { DirectedGraph } from 'graphology';
import { pagerank as gPagerank } from 'graphology-metrics/centrality/index.js';
import type { Horizon, ServiceGraph } from '../model.ts';
import {
  type BetweennessOptions,
  type BetweennessResult,
  betweennessOf,
  betweennessSettings,
} from './betweenness.ts';
import { GraphAnalysisError } from './errors.ts';
import { callsProjection, type ProjectedEdge } from './traffic.ts';
import { checkBoolean, checkHorizon, checkNumber, checkParams } from './validate.ts';

/**
 * Centralities of the dependency structure: every non-endpoint node and the `calls` edges
 * between them (traffic.ts callsProjection). Endpoints are left out: they would soak up
 * PageRank mass and never lie on a call route.
 *
 * PageRank options:
 * - `horizon` (Horizon, default '5m'): the rates used as weights.
 * - `weighted` (boolean, default true): weight each call edge by its rate, so the walker follows
 *   real traffic (a caller with no measured traffic weighs its edges 1 each); false: all 1.
 * - `alpha` (0..1, default 0.85), `tolerance` (default 1e-6), `maxIterations` (default 100):
 *   graphology-metrics' defaults, which networkx shares: converged when the L1 change < N·tol;
 *   dangling nodes (no callees) spread their rank uniformly.
 * Betweenness options (betweenness.ts):
 * - `k` (integer ≥ 1, default: every node up to 256 nodes, else 256): sample this many
 *   source nodes (Brandes & Pich 2007); sums are scaled by N/k to stay unbiased; k ≥ N is exact.
 * - `seed` (integer, default 1): seeds the sample, so a sampled result is reproducible.
 * - `normalized` (boolean, default true): divide by (N−1)(N−2), the ordered pairs of other
 *   nodes, as graphology-metrics and networkx do for directed graphs.
 * Betweenness counts hops, not latency: latency weights would make shortest-route ties (and so
 * the answer) hinge on float noise; bottlenecks multiply by latency afterwards instead.
 */
export interface PagerankOptions {
  horizon?: Horizon;
  weighted?: boolean;
  alpha?: number;
  tolerance?: number;
  maxIterations?: number;
}

export type CentralityOptions = PagerankOptions & BetweennessOptions;

export interface PagerankResult {
  horizon: Horizon;
  weighted: boolean;
  /** Node → rank; the ranks sum to 1. */
  scores: Record<string, number>;
}

/** PageRank of the call graph. Complexity O(iterations × (V + E)). */
export function pagerank(
  graph: ServiceGraph,
  params: Record<string, never> = {},
  options: PagerankOptions = {},
): PagerankResult {
  checkParams('pagerank', params);
  const settings = pagerankSettings('pagerank', options);
  return pagerankOf(callsProjection(graph, settings.horizon), settings, 'pagerank');
}

/** Both centralities from one projection and one set of options. */
export function centrality(
  graph: ServiceGraph,
  params: Record<string, never> = {},
  options: CentralityOptions = {},
): { pagerank: PagerankResult; betweenness: BetweennessResult } {
  const method = 'centrality';
  checkParams(method, params);
  const rank = pagerankSettings(method, options);
  const between = betweennessSettings(method, options);
  const projection = callsProjection(graph, rank.horizon);
  return {
    pagerank: pagerankOf(projection, rank, method),
    betweenness: betweennessOf(projection, between),
  };
}

type PagerankSettings = Required<PagerankOptions>;

function pagerankSettings(method: string, options: PagerankOptions): PagerankSettings {
  const positive = { min: 0, above: true };
  return {
    horizon: checkHorizon(method, options.horizon),
    weighted: checkBoolean(method, 'weighted', options.weighted, true),
    alpha: checkNumber(method, 'alpha', options.alpha, 0.85, { ...positive, max: 1 }),
    tolerance: checkNumber(method, 'tolerance', options.tolerance, 1e-6, positive),
    maxIterations: checkNumber(method, 'maxIterations', options.maxIterations, 100, {
      min: 1,
      integer: true,
    }),
  };
}

function pagerankOf(
  projection: DirectedGraph<Record<string, never>, ProjectedEdge>,
  settings: PagerankSettings,
  method: string,
): PagerankResult {
  const { horizon, weighted, alpha, tolerance, maxIterations } = settings;
  if (projection.order === 0) return { horizon, weighted, scores: {} };
  const getEdgeWeight = weighted ? 'weight' : null;
  try {
    const scores = gPagerank(projection, { getEdgeWeight, alpha, tolerance, maxIterations });
    return { horizon, weighted, scores };
  } catch (error) {
    const detail = `PageRank did not converge within maxIterations ${maxIterations} (${error}).`;
    throw new GraphAnalysisError(method, 'NOT_CONVERGED', maxIterations, detail);
  }
}
