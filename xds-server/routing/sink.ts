import type { RoutingError } from './errors.ts';
import type { RoutingChange, RoutingState } from './types.ts';

export type RoutingResult = { ok: true; state: RoutingState } | { ok: false; error: RoutingError };

/**
 * The one way routing changes reach the control plane, whoever makes them: the policy job
 * (through Kafka routing.v1), `meshgraph weights`, or the admin API.
 */
export interface RoutingSink {
  apply(change: RoutingChange): RoutingResult;
  current(): RoutingState;
}
