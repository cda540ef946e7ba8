/**
 * Ejection (weight 0: Envoy sends nothing), probation (the probe weight: next to nothing), and
 * the two guards that keep them from doing harm: at most `maxEjectedShare` of the endpoints
 * ejected or on probation at once, and the panic guard. Ejecting on a shared
 * cause (a bad deploy, a slow database behind every endpoint) would pile the load onto the few
 * left and take them down too; when most endpoints look bad, balancing evenly over all of them
 * is the better bet (Envoy's healthy panic threshold makes the same call at 50%).
 */
import type { PolicyOptions } from '../options.ts';
import type { Estimate } from './cost.ts';

/** Fails too often, or costs an order of magnitude more than the best. */
export function isEjectable(estimate: Estimate, relativeCost: number, options: PolicyOptions) {
  return failsTooOften(estimate, options) || relativeCost >= options.ejectRelativeCost;
}

export function failsTooOften(estimate: Estimate, options: PolicyOptions): boolean {
  return estimate.errorRate >= options.ejectErrorRate;
}

/** ⌊maxEjectedShare × endpoints⌋: 2 of 4, 1 of 2 or 3, none of 1. */
export function maxEjected(endpoints: number, options: PolicyOptions): number {
  return Math.floor(options.maxEjectedShare * endpoints + 1e-9);
}

/** The length of the `nth` ejection in a row: n × ejectionMs, capped. */
export function ejectionLengthMs(nth: number, options: PolicyOptions): number {
  return Math.min(options.maxEjectionMs, options.ejectionMs * Math.max(1, nth));
}

export function isPanic(bad: number, endpoints: number, options: PolicyOptions): boolean {
  return endpoints > 0 && bad > options.panicThreshold * endpoints;
}

export interface EjectionCandidate {
  readonly endpoint: string;
  readonly estimate: Estimate;
  readonly relativeCost: number;
  /** Only costly enough for probation, not for ejection. */
  readonly probeOnly?: boolean;
}

/**
 * Which of the candidates go (ejected, or on probation), when only `room` may: failing ones
 * first (the error-based guarantee against sinkholing must not lose to a merely slow endpoint),
 * then the ejectable, then those only costly enough for probation; the costliest first in each.
 */
export function chooseEjections(
  candidates: readonly EjectionCandidate[],
  room: number,
  options: PolicyOptions,
): Set<string> {
  const severity = (c: EjectionCandidate) =>
    failsTooOften(c.estimate, options) ? 2 : c.probeOnly ? 0 : 1;
  const ordered = [...candidates].sort(
    (a, b) =>
      severity(b) - severity(a) ||
      b.relativeCost - a.relativeCost ||
      (a.endpoint < b.endpoint ? -1 : 1),
  );
  return new Set(ordered.slice(0, Math.max(0, room)).map((c) => c.endpoint));
}
