/**
 * Routing applied on top of the mesh config: what the policy job (via Kafka routing.v1), the
 * `meshgraph weights` command and the admin API change at run time. Values, never mutated.
 */

export interface RoutingState {
  /** cluster name → endpoint key (`host:port`) → weight (1..128; Envoy's load_balancing_weight). */
  readonly endpointWeights: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** route name → cluster name → weight (a route-level split). */
  readonly routeSplits: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export const emptyRouting: RoutingState = Object.freeze({
  endpointWeights: new Map(),
  routeSplits: new Map(),
});

/** One change; `weights` replaces the cluster's (or route's) whole weight map. */
export type RoutingChange =
  | {
      readonly kind: 'endpoint-weights';
      readonly cluster: string;
      readonly weights: ReadonlyMap<string, number>;
    }
  | {
      readonly kind: 'route-split';
      readonly route: string;
      readonly weights: ReadonlyMap<string, number>;
    }
  | { readonly kind: 'clear-endpoint-weights'; readonly cluster: string }
  | { readonly kind: 'clear-route-split'; readonly route: string };
