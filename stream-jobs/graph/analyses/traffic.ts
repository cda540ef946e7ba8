import { DirectedGraph } from 'graphology';
import type { EdgeAttributes, Horizon, NodeAttributes, ServiceGraph } from '../model.ts';
import type { Quantile } from './validate.ts';

/**
 * Reading traffic off the service graph, shared by the analyses: edge rates, a node's stats
 * aggregated over its inbound edges, entrypoints, and the `calls`-only projection that the
 * graphology algorithms run on.
 */

export function isStructural(attributes: NodeAttributes): boolean {
  return attributes.kind !== 'endpoint';
}

/** Requests per second on an edge; missing or non-finite counts as idle. */
export function edgeRate(attributes: EdgeAttributes, horizon: Horizon): number {
  const rate = attributes.stats[horizon]?.rate;
  return typeof rate === 'number' && Number.isFinite(rate) && rate > 0 ? rate : 0;
}

export interface NodeStats {
  /** Inbound requests per second. */
  rate: number;
  /** Request-weighted error rate of the inbound edges; NaN without requests. */
  errorRate: number;
  /** Request-weighted mean of the inbound edges' quantile; NaN without latency data. */
  latencyMs: number;
  /** Decayed inbound request count. */
  requests: number;
}

/**
 * A node's stats as its callers see them: the inbound `calls` edges (or, for an endpoint, its
 * `hosts` edge). Quantiles do not add up, so the latency is a request-weighted mean of the
 * edges' quantiles: exact with one caller, an approximation with several.
 */
export function nodeStats(
  graph: ServiceGraph,
  node: string,
  horizon: Horizon,
  quantile: Quantile,
): NodeStats {
  return inboundStats(graph, node, [horizon], quantile)[0] as NodeStats;
}

/** {@link nodeStats} for several horizons in one pass over the in-edges. */
export function inboundStats(
  graph: ServiceGraph,
  node: string,
  horizons: readonly Horizon[],
  quantile: Quantile,
): NodeStats[] {
  const sums = horizons.map(() => ({ rate: 0, requests: 0, errors: 0, weight: 0, latency: 0 }));
  graph.forEachInEdge(node, (_edge, attributes) => {
    horizons.forEach((horizon, h) => {
      const stats = attributes.stats[horizon];
      const sum = sums[h];
      if (!stats || !sum) return;
      sum.rate += edgeRate(attributes, horizon);
      const n = Number.isFinite(stats.requests) && stats.requests > 0 ? stats.requests : 0;
      if (n === 0) return;
      sum.requests += n;
      sum.errors += n * (Number.isFinite(stats.errorRate) ? stats.errorRate : 0);
      const latency = stats[quantile];
      if (Number.isFinite(latency)) {
        sum.weight += n;
        sum.latency += n * latency;
      }
    });
  });
  return sums.map((sum) => ({
    rate: sum.rate,
    requests: sum.requests,
    errorRate: sum.requests > 0 ? sum.errors / sum.requests : Number.NaN,
    latencyMs: sum.weight > 0 ? sum.latency / sum.weight : Number.NaN,
  }));
}

/** Total rate over a node's inbound edges, or its outbound `calls` when nothing calls it. */
export function nodeTraffic(graph: ServiceGraph, node: string, horizon: Horizon): number {
  let inbound = 0;
  let outbound = 0;
  graph.forEachInEdge(node, (_e, a) => {
    inbound += edgeRate(a, horizon);
  });
  if (inbound > 0) return inbound;
  graph.forEachOutEdge(node, (_e, a) => {
    if (a.kind === 'calls') outbound += edgeRate(a, horizon);
  });
  return outbound;
}

/**
 * Where requests enter: an ingress node, a structural node nothing calls (a cron job, a batch
 * client), or a service an ingress calls directly.
 */
export function isEntrypoint(graph: ServiceGraph, node: string): boolean {
  const attributes = graph.getNodeAttributes(node);
  if (attributes.kind === 'ingress') return true;
  if (!isStructural(attributes)) return false;
  let callers = 0;
  let fromIngress = false;
  graph.forEachInEdge(node, (_e, a, _source, _t, sourceAttributes) => {
    if (a.kind !== 'calls') return;
    callers++;
    if (sourceAttributes.kind === 'ingress') fromIngress = true;
  });
  return callers === 0 || fromIngress;
}

export interface ProjectedEdge {
  weight: number;
}

/**
 * The dependency structure alone: every non-endpoint node and the `calls` edges between them,
 * weighted by rate (a caller with no measured traffic gets weight 1 per edge, the even split
 * blast radius uses too, so PageRank never divides 0 by 0).
 */
export function callsProjection(
  graph: ServiceGraph,
  horizon: Horizon,
): DirectedGraph<Record<string, never>, ProjectedEdge> {
  const projection = new DirectedGraph<Record<string, never>, ProjectedEdge>();
  graph.forEachNode((node, attributes) => {
    if (isStructural(attributes)) projection.addNode(node);
  });
  graph.forEachNode((node, attributes) => {
    if (!isStructural(attributes)) return;
    const edges: Array<[string, number]> = [];
    let total = 0;
    graph.forEachOutEdge(node, (_e, a, _s, target, _sa, targetAttributes) => {
      if (a.kind !== 'calls' || !isStructural(targetAttributes)) return;
      const rate = edgeRate(a, horizon);
      total += rate;
      edges.push([target, rate]);
    });
    for (const [target, rate] of edges) {
      projection.addEdge(node, target, { weight: total > 0 ? rate : 1 });
    }
  });
  return projection;
}

/** JSON has no NaN or Infinity: such numbers travel as null. */
export function jsonNumber(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Code-unit order, the same in every locale, for deterministic ties. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
