import type { Decision } from './types.ts';

/**
 * How an operator steers the policy for one cluster:
 * - `active`: decisions are published to routing.v1 and pushed to Envoy;
 * - `dry-run`: decisions are computed, logged and recorded in ClickHouse, never pushed;
 * - `off`: no decisions; the cluster runs on its configured (static) weights.
 */
export type PolicyMode = 'active' | 'dry-run' | 'off';

/** One cluster's override: its mode and pinned endpoint weights (endpoint → 0..128). */
export interface ClusterOverride {
  readonly mode: PolicyMode;
  readonly pins: ReadonlyMap<string, number>;
}

/** A cluster the policy manages (`policy: adaptive` in the mesh config), as the API lists it. */
export interface ManagedCluster {
  readonly cluster: string;
  readonly mode: PolicyMode;
  readonly pins: ReadonlyMap<string, number>;
  /** endpoint → configured weight, the fail-static fallback. */
  readonly staticWeights: ReadonlyMap<string, number>;
}

export type OverrideResult =
  | { readonly ok: true; readonly cluster: ManagedCluster }
  | {
      readonly ok: false;
      /** `unknown-cluster`, `not-adaptive` (a static cluster), `unknown-endpoint`, `bad-weight`. */
      readonly code: 'unknown-cluster' | 'not-adaptive' | 'unknown-endpoint' | 'bad-weight';
      readonly message: string;
    };

/** The narrow view of a running policy job that the API sees (no Kafka, no ClickHouse types). */
export interface PolicyControl {
  /** The latest decision of every managed cluster that has one. */
  current(): readonly Decision[];
  clusters(): readonly ManagedCluster[];
  /** Past decisions of one cluster, newest first, from ClickHouse `routing_decisions`. */
  history(cluster: string, query: { sinceMs?: number; limit: number }): Promise<Decision[]>;
  /** Replaces the cluster's override (mode and pins); takes effect at the next interval. */
  setOverride(cluster: string, override: ClusterOverride): OverrideResult;
  /** Back to `active` with no pins. */
  clearOverride(cluster: string): OverrideResult;
}
