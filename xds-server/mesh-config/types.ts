/**
 * The mesh config after parsing and validation: what operators declare in one YAML file
 * (see docs in xds-server/mesh-config/README.md). Every value here is already checked and
 * defaulted; the whole object is deeply frozen. Durations are milliseconds.
 */

export interface MeshConfig {
  readonly listeners: readonly ListenerConfig[];
  readonly clusters: readonly ClusterConfig[];
  /** Where every HTTP listener sends its access logs (gRPC ALS); absent = no access log. */
  readonly accessLog?: AccessLogConfig;
}

export interface ListenerConfig {
  /** Unique; also the RouteConfiguration name Envoy fetches over RDS for it. */
  readonly name: string;
  /** TCP port on `address`; absent for an API listener (gRPC xDS clients: `xds:///name`). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly address: string;
  readonly routes: readonly RouteConfig[];
}

export interface RouteConfig {
  /** Unique across the mesh; the key route-level splits are set by. */
  readonly name: string;
  readonly match: RouteMatch;
  /** Exactly one destination cluster, or a weighted split over several. */
  readonly destination:
    | { readonly kind: 'cluster'; readonly cluster: string }
    | {
        readonly kind: 'split';
        readonly clusters: readonly { readonly cluster: string; readonly weight: number }[];
      };
  /** Upstream request timeout in ms; default 15000 (Envoy's default). */
  readonly timeoutMs: number;
  readonly retries?: RetryConfig;
}

export interface RouteMatch {
  /** Path prefix; default `/`. */
  readonly prefix: string;
  /** All must match. */
  readonly headers: readonly { readonly name: string; readonly exact: string }[];
}

export interface RetryConfig {
  /** Envoy retry_on, e.g. `5xx,reset,connect-failure`. */
  readonly on: string;
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  /** Retry budget: retries may add at most this % of active requests (default 20). */
  readonly budgetPercent: number;
  /** Retries always allowed below this many concurrent retries (default 3). */
  readonly minRetryConcurrency: number;
}

export type LbPolicy = 'round_robin' | 'least_request' | 'random' | 'ring_hash' | 'maglev';

export interface ClusterConfig {
  /** Unique; also the EDS (ClusterLoadAssignment) name. */
  readonly name: string;
  readonly endpoints: readonly EndpointConfig[];
  readonly lbPolicy: LbPolicy;
  readonly connectTimeoutMs: number;
  /** `adaptive`: the policy job may move endpoint weights; `static`: configured weights only. */
  readonly policy: 'static' | 'adaptive';
  /** Speak HTTP/2 to the endpoints (gRPC upstreams). Default false. */
  readonly http2: boolean;
  readonly outlierDetection?: OutlierDetectionConfig;
  readonly circuitBreakers?: CircuitBreakersConfig;
}

export interface EndpointConfig {
  readonly host: string;
  readonly port: number;
  /** The configured (static) weight, 1..128; also the fail-static fallback. Default 1. */
  readonly weight: number;
}

export interface OutlierDetectionConfig {
  readonly consecutive5xx: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
}

export interface CircuitBreakersConfig {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
}

export interface AccessLogConfig {
  /** The collector's gRPC address. */
  readonly host: string;
  readonly port: number;
  /** Envoy's log_name, sent with every batch. Default `meshgraph`. */
  readonly logName: string;
}

/**
 * Envoy's largest load_balancing_weight. Weights run 1..128 in the mesh config; at run time
 * (routing state, policy decisions, pins) 0 is ours too and means ejected (see
 * xds-server/resources/endpoints.ts).
 */
export const maxEndpointWeight = 128;

/** An endpoint weight as routing state and decisions carry it: an integer 0..128. */
export function isEndpointWeight(weight: number): boolean {
  return Number.isInteger(weight) && weight >= 0 && weight <= maxEndpointWeight;
}

/** `host:port`, the key endpoints are addressed by in weights and decisions. */
export function endpointKey(endpoint: { host: string; port: number }): string {
  return `${endpoint.host}:${endpoint.port}`;
}
