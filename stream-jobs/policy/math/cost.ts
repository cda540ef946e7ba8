/**
 * What an endpoint costs a request, relative to the cluster's best endpoint, and the weight level
 * that cost earns.
 *
 * cost = latency × (1 + errorPenalty × error rate) × (1 + dependencyPenalty × (1 − dependency health))
 *
 * Latency alone would sinkhole traffic into an endpoint that fails fast (a 503 in 1 ms looks
 * like the best endpoint there is); the error factor makes 5% errors as bad as doubling the
 * latency, and ejection (ejection.ts) takes over from `ejectErrorRate` on. Costs are compared to
 * the best, never judged absolutely, so a cluster that slows down as a whole keeps equal weights.
 */
import type { PolicyOptions } from '../options.ts';
import { type EndpointStats, errorRate, meanLatencyMs } from './ewma.ts';

/** The smoothed inputs of one endpoint, as a decision reports them. */
export interface Estimate {
  /** Requests the estimates rest on (decayed count). */
  readonly requests: number;
  readonly errorRate: number;
  /** Mean latency in ms; `minLatencyMs` when nothing was measured. */
  readonly latencyMs: number;
  readonly dependencyHealth: number;
}

export function estimateOf(
  stats: EndpointStats,
  dependencyHealth: number,
  options: PolicyOptions,
): Estimate {
  return {
    requests: stats.requests,
    errorRate: errorRate(stats),
    latencyMs: meanLatencyMs(stats) ?? options.minLatencyMs,
    dependencyHealth,
  };
}

export function costOf(estimate: Estimate, options: PolicyOptions): number {
  const latency = Math.max(options.minLatencyMs, estimate.latencyMs);
  const errors = 1 + options.errorPenalty * estimate.errorRate;
  const health = Math.min(1, Math.max(0, estimate.dependencyHealth));
  return latency * errors * (1 + options.dependencyPenalty * (1 - health));
}

/**
 * The estimate an endpoint with fewer than `minRequests` requests would have if every missing
 * request came back at once and fine. Too thin to pass an endpoint, but when even this reading
 * deserves ejection, waiting for more evidence only sends more requests to a failure.
 */
export function optimisticEstimate(
  stats: EndpointStats,
  dependencyHealth: number,
  options: PolicyOptions,
): Estimate {
  const missing = Math.max(0, options.minRequests - stats.requests);
  const timed = stats.timedRequests + missing;
  const latencyMsSum = stats.latencyMsSum + missing * options.minLatencyMs;
  return {
    requests: stats.requests,
    errorRate: stats.errors / Math.max(1e-9, stats.requests + missing),
    latencyMs: timed > 0 ? latencyMsSum / timed : options.minLatencyMs,
    dependencyHealth,
  };
}

/** An endpoint that may set the cluster's reference cost. */
export interface ReferenceCandidate {
  readonly cost: number;
  /** The requests its estimate rests on. */
  readonly requests: number;
  /** Its current weight level (0 = full weight). */
  readonly level: number;
}

/**
 * The cost others are compared to: the lowest among the endpoints carrying a full share of
 * traffic (at most one level below the heaviest). A floored or ramping endpoint is measured at a
 * fraction of its load; were it the reference, its flattering latency would push every loaded
 * endpoint down and herd the traffic onto it. Undefined when there is no candidate.
 */
export function referenceCost(
  candidates: readonly ReferenceCandidate[],
): ReferenceCandidate | undefined {
  const lightest = Math.min(...candidates.map((c) => c.level));
  let best: ReferenceCandidate | undefined;
  for (const c of candidates) {
    if (c.level <= lightest + 1 && (best === undefined || c.cost < best.cost)) best = c;
  }
  return best;
}

/**
 * How far above the best a cost may be and still count as the best: `tolerance`, widened by
 * `confidence` standard errors of the ratio of two means, √(1/n + 1/n_best) when a request's
 * latency varies by about its mean. The best of several noisy estimates is biased low, so
 * without this, identical endpoints on thin traffic would be told apart by their luck.
 */
export function costSlack(requests: number, bestRequests: number, options: PolicyOptions): number {
  const n = Math.max(1, requests);
  const nBest = Math.max(1, bestRequests);
  return options.tolerance + options.confidence * Math.sqrt(1 / n + 1 / nBest);
}

/**
 * The continuous weight level a relative cost earns: levelsPerHalving × costExponent ×
 * log2(relative cost / (1 + slack)), never below 0. With the defaults and plenty of traffic
 * (slack ≈ 0.25) that is 5 × log2(r / 1.25): 1.5× the best → 1.3 (weight 91 of 128),
 * 2× → 3.4 (45), 3× → 6.3 (16), 5× → 10 (the floor, 8).
 */
export function targetLevel(relativeCost: number, slack: number, options: PolicyOptions): number {
  const beyond = relativeCost / (1 + slack);
  if (!(beyond > 1)) return 0;
  return options.levelsPerHalving * options.costExponent * Math.log2(beyond);
}
