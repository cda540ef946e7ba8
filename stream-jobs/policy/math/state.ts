/**
 * What the policy remembers about a cluster between intervals: a value, replaced (never mutated)
 * by every decision, so a decision can be replayed from (state, observation, time).
 */
import { type EndpointStats, emptyStats } from './ewma.ts';

export interface EndpointPolicyState {
  /** Decayed request, error and latency sums (ewma.ts). */
  readonly stats: EndpointStats;
  /** Smoothed dependency health, 0..1. */
  readonly dependencyHealth: number;
  /** Integer steps down the weight ladder from the endpoint's base weight (weights.ts). */
  readonly level: number;
  /** While ejected: when the ejection ends (wall clock, ms). */
  readonly ejectedUntilMs: number | undefined;
  /** Ejections in a row; each makes the next one longer, up to `maxEjectionMs`. */
  readonly ejections: number;
  /**
   * On probation at the probe weight (after an ejection, or costing `probeRelativeCost` times
   * the best), judged by fresh probes until they acquit it.
   */
  readonly probation: boolean;
  /**
   * When the probation began (wall clock): statistics of windows ending before it is one interval
   * old describe the traffic it had before, not its probes, and are not taken in.
   */
  readonly probationSinceMs: number;
  /** When the level last went up, and requests served since: the recovery ramp's pace. */
  readonly lastRaiseMs: number;
  readonly requestsSinceRaise: number;
  /** Since when its target has stayed above its weight (undefined: it does not want up). */
  readonly risingSinceMs: number | undefined;
  /** When the endpoint last looked bad (ejectable, floored or ejected). */
  readonly lastBadMs: number;
}

export interface ClusterPolicyState {
  readonly cluster: string;
  /** `dataUpToMs` of the newest observation taken in; 0 before the first. */
  readonly lastDataMs: number;
  readonly endpoints: ReadonlyMap<string, EndpointPolicyState>;
  /** The last decision's weights, which `changed` compares with. */
  readonly weights: ReadonlyMap<string, number>;
}

export const freshEndpointState: EndpointPolicyState = Object.freeze({
  stats: emptyStats,
  dependencyHealth: 1,
  level: 0,
  ejectedUntilMs: undefined,
  ejections: 0,
  probation: false,
  probationSinceMs: Number.NEGATIVE_INFINITY,
  lastRaiseMs: Number.NEGATIVE_INFINITY,
  requestsSinceRaise: 0,
  risingSinceMs: undefined,
  lastBadMs: Number.NEGATIVE_INFINITY,
});

/** Whether the endpoint is out of rotation at `nowMs`. */
export function isEjected(state: EndpointPolicyState, nowMs: number): boolean {
  return state.ejectedUntilMs !== undefined && nowMs < state.ejectedUntilMs;
}
