import type { Horizon, NodeKind, ServiceGraph } from '../model.ts';
import { betweennessOf, betweennessSettings } from './betweenness.ts';
import { callsProjection, compare, isStructural, jsonNumber, nodeStats } from './traffic.ts';
import {
  checkEnum,
  checkHorizon,
  checkNumber,
  checkNumberRecord,
  checkParams,
  type Quantile,
  quantiles,
} from './validate.ts';

const method = 'bottlenecks';

export type BottleneckRanking = 'traffic' | 'betweenness-latency' | 'saturation';
export const bottleneckRankings: readonly BottleneckRanking[] = [
  'traffic',
  'betweenness-latency',
  'saturation',
];

export interface BottlenecksParams {
  /** What to rank by (default 'traffic'). */
  by?: BottleneckRanking;
}

/**
 * - `horizon` (Horizon, default '5m'), `quantile` (default 'p99'): the stats to read.
 * - `limit` (integer ≥ 1, default 20): how many nodes to return.
 * - `capacityRps` (Record<service, req/s per endpoint>, default {}): known per-endpoint capacity;
 *   a service without one is measured against the busiest node (relative load).
 * - `k`, `seed`: betweenness sampling, see centrality.ts (only for 'betweenness-latency').
 */
export interface BottlenecksOptions {
  horizon?: Horizon;
  quantile?: Quantile;
  limit?: number;
  capacityRps?: Record<string, number>;
  k?: number;
  seed?: number;
}

export interface Bottleneck {
  node: string;
  kind: NodeKind;
  /** The ranking's value for this node. */
  score: number;
  /** Inbound req/s. */
  rate: number;
  /** Share of all inbound calls in the mesh landing here (sums to 1 over nodes). */
  trafficShare: number;
  /** Request-weighted mean of the inbound calls' quantile; null without data. */
  latencyMs: number | null;
  /** Normalised betweenness (null unless ranking by 'betweenness-latency'). */
  betweenness: number | null;
  /** betweenness × latencyMs (null unless ranking by it). */
  betweennessLatency: number | null;
  /** Endpoints `healthy` or `degraded`; null for a node without endpoint nodes (counted as 1). */
  servingEndpoints: number | null;
  /** Inbound rate over serving endpoints, divided by capacity (see options). */
  saturation: number;
}

export interface Bottlenecks {
  by: BottleneckRanking;
  horizon: Horizon;
  quantile: Quantile;
  nodes: Bottleneck[];
}

/**
 * Service and virtual nodes ranked by one of:
 * - 'traffic': share of all service-to-service calls that land on the node;
 * - 'betweenness-latency': how many shortest call routes pass through it × its latency, i.e.
 *   slow nodes that much of the mesh depends on;
 * - 'saturation': load per serving endpoint over capacity (1 = at capacity, or as busy as the
 *   busiest node when no capacity is known).
 * Ties go by name. Complexity O(V + E) (+ O(k × E) for betweenness).
 */
export function bottlenecks(
  graph: ServiceGraph,
  params: BottlenecksParams = {},
  options: BottlenecksOptions = {},
): Bottlenecks {
  const p = checkParams<{ by?: unknown }>(method, params);
  const by = checkEnum(method, 'by', p.by, bottleneckRankings, 'traffic', true);
  const horizon = checkHorizon(method, options.horizon);
  const quantile = checkEnum(method, 'quantile', options.quantile, quantiles, 'p99');
  const limit = checkNumber(method, 'limit', options.limit, 20, { min: 1, integer: true });
  const capacity = checkNumberRecord(method, 'capacityRps', options.capacityRps);
  const sampling = betweennessSettings(method, { horizon, k: options.k, seed: options.seed });
  const central =
    by === 'betweenness-latency'
      ? betweennessOf(callsProjection(graph, horizon), sampling).scores
      : undefined;

  const rows: Bottleneck[] = [];
  let totalRate = 0;
  let busiest = 0;
  graph.forEachNode((node, attributes) => {
    if (!isStructural(attributes) || attributes.kind === 'ingress') return;
    const stats = nodeStats(graph, node, horizon, quantile);
    let endpoints = 0;
    let serving = 0;
    graph.forEachOutEdge(node, (_e, a, _s, _t, _sa, endpoint) => {
      if (a.kind !== 'hosts') return;
      endpoints++;
      if (endpoint.health === 'healthy' || endpoint.health === 'degraded') serving++;
    });
    // No serving endpoint left: all load lands on nothing, count it as on one to stay finite.
    const perEndpoint = stats.rate / Math.max(1, serving);
    busiest = Math.max(busiest, perEndpoint);
    totalRate += stats.rate;
    const latencyMs = jsonNumber(stats.latencyMs);
    const b = central ? (central[node] ?? 0) : null;
    rows.push({
      node,
      kind: attributes.kind,
      score: 0,
      rate: stats.rate,
      trafficShare: 0,
      latencyMs,
      betweenness: b,
      betweennessLatency: b === null ? null : b * (latencyMs ?? 0),
      servingEndpoints: endpoints > 0 ? serving : null,
      saturation: perEndpoint, // divided by capacity below, once the busiest is known
    });
  });
  for (const row of rows) {
    row.trafficShare = totalRate > 0 ? row.rate / totalRate : 0;
    const cap = capacity[row.node] ?? busiest;
    row.saturation = cap > 0 ? row.saturation / cap : 0;
    row.score =
      by === 'traffic'
        ? row.trafficShare
        : by === 'saturation'
          ? row.saturation
          : (row.betweennessLatency as number);
  }
  rows.sort((a, b) => b.score - a.score || compare(a.node, b.node));
  return { by, horizon, quantile, nodes: rows.slice(0, limit) };
}
