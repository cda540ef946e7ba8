/**
 * Coming back. An ejected endpoint gets no traffic, so nothing can show that it recovered: when
 * its ejection ends it is re-admitted at the floor weight on probation, with its old statistics
 * forgotten (they would eject it again at once), until `minRequests` fresh requests judge it.
 * From there, and from any low weight, it climbs one level per `rampStepMs` and `rampRequests`
 * requests served: slow enough that each step's effect is measured (2–3 s data lag) before more
 * traffic follows, and that a fault hitting one request in ten shows before the climb is far.
 */
import type { PolicyOptions } from '../options.ts';
import { emptyStats } from './ewma.ts';
import type { EndpointPolicyState } from './state.ts';

/** The endpoint at the end of its ejection: on probation at the floor level `deepest`. */
export function readmit(state: EndpointPolicyState, deepest: number): EndpointPolicyState {
  return {
    ...state,
    stats: emptyStats,
    level: deepest,
    ejectedUntilMs: undefined,
    probation: true,
    requestsSinceRaise: 0,
    risingSinceMs: undefined,
  };
}

/**
 * Whether the recovery ramp allows another level up at `nowMs`. Besides the pace, the endpoint
 * must have wanted up for a whole `rampStepMs`: a sparse heavy tail (one request in ten taking a
 * second) leaves gaps in which a floored endpoint looks healthy, and climbing in every such gap
 * would be the oscillation the ramp is there to prevent.
 */
export function mayRaise(state: EndpointPolicyState, nowMs: number, options: PolicyOptions) {
  return (
    state.risingSinceMs !== undefined &&
    nowMs - state.risingSinceMs >= options.rampStepMs &&
    nowMs - state.lastRaiseMs >= options.rampStepMs &&
    state.requestsSinceRaise >= options.rampRequests
  );
}

/**
 * Ejections in a row are forgotten once the endpoint has looked fine for a whole
 * `maxEjectionMs`, so a fault next week starts again from the short ejection.
 */
export function forgiveEjections(
  state: EndpointPolicyState,
  nowMs: number,
  options: PolicyOptions,
): EndpointPolicyState {
  if (state.ejections === 0 || nowMs - state.lastBadMs < options.maxEjectionMs) return state;
  return { ...state, ejections: 0 };
}
