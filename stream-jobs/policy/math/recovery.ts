/**
 * Coming back. An ejected endpoint gets no traffic, so nothing can show that it recovered: when
 * its ejection ends it goes on probation at the probe weight (`probeWeight`, ~0.4% of the
 * traffic), with its old statistics forgotten (they would eject it again at once). An endpoint
 * costing `probeRelativeCost` times the best goes on probation straight from the ladder. On
 * probation the sparse probes judge it continuously: thin evidence may condemn it (ejected
 * again) but never acquit it; once `minRequests` fresh requests show it cheaper than
 * `probeRelativeCost` it is acquitted back to the floor. From there, and from any low weight, it
 * climbs one level per `rampStepMs` and `rampRequests` requests served: slow enough that each
 * step's effect is measured (2–3 s data lag) before more traffic follows, and that a fault
 * hitting one request in ten shows before the climb is far.
 */
import type { PolicyOptions } from '../options.ts';
import { emptyStats } from './ewma.ts';
import type { EndpointPolicyState } from './state.ts';

/** The endpoint at the end of its ejection: on probation, its ladder level the floor `deepest`. */
export function readmit(
  state: EndpointPolicyState,
  deepest: number,
  nowMs: number,
): EndpointPolicyState {
  return { ...probe(state, deepest, nowMs), ejectedUntilMs: undefined };
}

/**
 * On probation: sparse probes, judged on fresh requests only (what put it here would keep it
 * here), its ladder level the floor `deepest` for when it is acquitted.
 */
export function probe(
  state: EndpointPolicyState,
  deepest: number,
  nowMs: number,
): EndpointPolicyState {
  return {
    ...state,
    stats: emptyStats,
    level: deepest,
    probation: true,
    probationSinceMs: nowMs,
    requestsSinceRaise: 0,
    risingSinceMs: undefined,
  };
}

/**
 * Acquitted by its probes: off probation, at the floor `deepest`, keeping the fresh statistics
 * that acquitted it. Counts as a step up, so the ramp's pace runs from here.
 */
export function acquit(
  state: EndpointPolicyState,
  deepest: number,
  nowMs: number,
): EndpointPolicyState {
  return {
    ...state,
    level: deepest,
    probation: false,
    lastRaiseMs: nowMs,
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
