import type {
  EdgeAttributes,
  Health,
  Horizon,
  NodeAttributes,
  NodeKind,
  RedStats,
  ServiceGraph,
} from './model.ts';

/** RedStats as JSON carries it: a quantile with no requests behind it is null (JSON has no NaN). */
export interface RedStatsView {
  rate: number;
  errorRate: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  requests: number;
}

export interface NodeView {
  key: string;
  kind: NodeKind;
  service: string;
  endpoint?: string;
  health: Health;
}

export interface EdgeView {
  key: string;
  source: string;
  target: string;
  kind: EdgeAttributes['kind'];
  lastSeenMs: number;
  stats: Record<Horizon, RedStatsView>;
}

/** A plain, JSON-able copy of a service graph at one time, for APIs and the live page. */
export interface GraphSnapshot {
  /** The time the statistics are evaluated at (ms since epoch). */
  atMs: number;
  nodes: NodeView[];
  edges: EdgeView[];
}

/** Copies `graph` into a {@link GraphSnapshot}: nodes and edges in the graph's insertion order. */
export function snapshotOf(graph: ServiceGraph, atMs: number): GraphSnapshot {
  return {
    atMs,
    nodes: graph.mapNodes((key, attributes) => nodeView(key, attributes)),
    edges: graph.mapEdges((key, attributes, source, target) =>
      edgeView(key, source, target, attributes),
    ),
  };
}

export function nodeView(key: string, attributes: NodeAttributes): NodeView {
  const { kind, service, endpoint, health } = attributes;
  return endpoint === undefined
    ? { key, kind, service, health }
    : { key, kind, service, endpoint, health };
}

export function edgeView(
  key: string,
  source: string,
  target: string,
  attributes: EdgeAttributes,
): EdgeView {
  const { kind, lastSeenMs } = attributes;
  return { key, source, target, kind, lastSeenMs, stats: statsView(attributes.stats) };
}

export function statsView(stats: Record<Horizon, RedStats>): Record<Horizon, RedStatsView> {
  return {
    '1m': redStatsView(stats['1m']),
    '5m': redStatsView(stats['5m']),
    '1h': redStatsView(stats['1h']),
  };
}

export function redStatsView(stats: RedStats): RedStatsView {
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  return {
    rate: stats.rate,
    errorRate: stats.errorRate,
    p50: finite(stats.p50),
    p90: finite(stats.p90),
    p99: finite(stats.p99),
    p999: finite(stats.p999),
    requests: stats.requests,
  };
}
