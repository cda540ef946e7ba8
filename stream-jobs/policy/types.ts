/**
 * The policy's values: what it observes about a cluster's endpoints, what it remembers between
 * intervals, and the decision it makes. The math (./math) is pure functions over these; the job
 * (./job.ts) feeds them from edge-stats.v1 and publishes decisions to routing.v1.
 */

/** What one endpoint did during one policy interval (merged from its 1 s edge-stats windows). */
export interface EndpointObservation {
  /** `host:port`, as in the mesh config and the access logs. */
  readonly endpoint: string;
  readonly requests: number;
  /** Requests that failed: 5xx, or no response at all (reset, timeout, refused). */
  readonly errors: number;
  /** Latency in milliseconds over those requests; absent when `requests` is 0. */
  readonly latencyMs?: {
    readonly mean: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
  };
}

/** One interval's observations of one cluster; endpoints without traffic may be missing. */
export interface ClusterObservation {
  readonly cluster: string;
  /** End of the newest statistics window included (event time, ms since epoch). */
  readonly dataUpToMs: number;
  readonly endpoints: readonly EndpointObservation[];
  /**
   * Health of what each endpoint depends on, 0 (all its dependencies failing) .. 1 (healthy),
   * from the calls the endpoint itself makes (observations.ts, `dependencyHealthOf`); an
   * endpoint left out counts as 1. This is how the policy prefers endpoints whose own
   * dependencies are healthy when one behind some of them degrades.
   */
  readonly dependencyHealth?: ReadonlyMap<string, number>;
}

/** The cluster as configured: its endpoints and their static (fail-static) weights. */
export interface ClusterSpec {
  readonly cluster: string;
  /** endpoint `host:port` → configured weight (1..128). */
  readonly staticWeights: ReadonlyMap<string, number>;
}

/**
 * Why a weight is what it is: the first that applies, in this order.
 * - `pinned`: an operator pinned this weight through the API.
 * - `stale`: no fresh statistics: the configured weights.
 * - `panic`: most endpoints look bad: ejection stopped, weights equalised (panic guard).
 * - `ejected`: too slow or failing: weight 0 (Envoy sends nothing; see xds-server resources).
 * - `recovering`: on probation at the probe weight (after an ejection, or costing
 *   `probeRelativeCost` × the best) until its probes acquit it, or climbing by the recovery ramp.
 * - `adaptive`: the weight follows measured latency and errors.
 * - `insufficient-data`: not enough requests to judge: weight unchanged.
 */
export const decisionReasons = [
  'pinned',
  'stale',
  'panic',
  'ejected',
  'recovering',
  'adaptive',
  'insufficient-data',
] as const;

export type DecisionReason = (typeof decisionReasons)[number];

/** One endpoint in a decision: the weight and everything needed to explain it. */
export interface EndpointDecision {
  readonly endpoint: string;
  readonly weight: number;
  readonly previousWeight: number;
  readonly reason: DecisionReason;
  /** The smoothed inputs the weight was computed from (EWMA), for "explain". */
  readonly inputs: {
    readonly requests: number;
    readonly errorRate: number;
    readonly latencyMs: number;
    readonly dependencyHealth: number;
    /** Cost relative to the cluster's best endpoint (1 = as good as the best). */
    readonly relativeCost: number;
  };
}

/** A routing decision for one cluster: a value, published to routing.v1 keyed by cluster. */
export interface Decision {
  readonly cluster: string;
  /** When it was made (wall clock, ms since epoch). */
  readonly decidedAtMs: number;
  /** Newest access-log time it rests on (`ClusterObservation.dataUpToMs`); 0 when stale. */
  readonly dataUpToMs: number;
  /** Cluster-level summary: `adaptive`, `stale`, `panic` or `pinned` (any endpoint pinned). */
  readonly reason: DecisionReason;
  /** True when computed in dry-run: recorded, never pushed to Envoy. */
  readonly dryRun: boolean;
  readonly endpoints: readonly EndpointDecision[];
}
