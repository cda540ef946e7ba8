import { DirectedGraph } from 'graphology';

/**
 * The service graph: one graphology directed graph (a multigraph is not needed: one edge per
 * caller→callee pair). Node keys:
 * - a service: its name (an Envoy cluster name, or a `source_service`), e.g. `catalog`;
 * - the ingress: `ingress` (requests that entered the mesh from outside);
 * - an endpoint of a service: `<service>/<host:port>`, with a `hosts` edge service → endpoint;
 * - a virtual node: a peer that sends no logs of its own (a destination we only see called).
 */

export type NodeKind = 'service' | 'endpoint' | 'ingress' | 'virtual';
export type Health = 'healthy' | 'degraded' | 'failing' | 'unknown';
export type Horizon = '1m' | '5m' | '1h';
export const horizons: readonly Horizon[] = ['1m', '5m', '1h'];
/** Each horizon's length in milliseconds: the decay time constant of the live fold (fold.ts). */
export const horizonMs: Readonly<Record<Horizon, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
};

/** Rate, errors and duration over one horizon, time-decayed (see fold.ts). */
export interface RedStats {
  /** Requests per second. */
  rate: number;
  /** Share of requests that failed (5xx or no response), 0..1. */
  errorRate: number;
  /** Duration quantiles in milliseconds; NaN when there were no requests. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  /** Decayed request count behind these numbers. */
  requests: number;
}

export interface NodeAttributes {
  kind: NodeKind;
  /** For an endpoint: its service; otherwise the node key. */
  service: string;
  /** For an endpoint: `host:port`. */
  endpoint?: string;
  health: Health;
}

export interface EdgeAttributes {
  /** `calls`: service → service (traffic); `hosts`: service → its endpoint (traffic served). */
  kind: 'calls' | 'hosts';
  stats: Record<Horizon, RedStats>;
  /** Event time (ms since epoch) of the newest window folded into this edge. */
  lastSeenMs: number;
}

export type ServiceGraph = DirectedGraph<NodeAttributes, EdgeAttributes>;

export function createServiceGraph(): ServiceGraph {
  return new DirectedGraph<NodeAttributes, EdgeAttributes>({ allowSelfLoops: false });
}

export const ingressNode = 'ingress';

export function endpointNode(service: string, endpoint: string): string {
  return `${service}/${endpoint}`;
}

/** An edge's key: `<source>→<target>`, the shape of the Kafka keys of access-logs and edge-stats. */
export function edgeKey(source: string, target: string): string {
  return `${source}→${target}`;
}
