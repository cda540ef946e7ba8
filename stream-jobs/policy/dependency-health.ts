/**
 * Dependency health of a cluster's endpoints from the calls each of them made (the per-instance
 * windows observations.ts collects): pure, one number 0..1 per calling endpoint, which the
 * policy's cost (math/cost.ts) turns into a penalty. How and why: README.md, "Dependency health".
 */

import type { PolicyOptions } from './options.ts';

/** Calls one endpoint made to one destination cluster. */
export interface CallTotals {
  requests: number;
  /** 5xx or no response. */
  errors: number;
  durationSumUs: number;
}

/** The options {@link dependencyHealthOf} reads (a PolicyOptions will do). */
export type DependencyHealthOptions = Pick<
  PolicyOptions,
  'minRequests' | 'minLatencyMs' | 'tolerance'
>;

/**
 * Each calling endpoint's dependency health, 0..1, from the calls the endpoints of ONE cluster
 * made (endpoint → destination cluster → calls): success × speed, where
 * - success = 1 − errors / max(calls, minRequests), over all its calls: the share of its calls
 *   that did not fail (5xx or no response), a thin sample read optimistically (the calls
 *   missing to minRequests count as successes);
 * - speed = min(1, (1 + tolerance) / slowdown): slowdown is how many times slower its calls are
 *   than its siblings' calls to the same cluster. Per destination D: its mean latency to D over
 *   the lowest sibling's mean to D (each from ≥ minRequests calls, else the ratio is 1; means
 *   below minLatencyMs count as minLatencyMs), averaged over the destinations weighted by its
 *   calls to each.
 * A dependency all siblings share affects them alike (success equally, speed not at all), and
 * the policy compares costs relative to the best endpoint, so it cancels out. An endpoint
 * without calls is left out: health 1.
 */
export function dependencyHealthOf(
  calls: ReadonlyMap<string, ReadonlyMap<string, CallTotals>>,
  options: DependencyHealthOptions,
): Map<string, number> {
  const judged = (t: CallTotals) => t.requests >= Math.max(1, options.minRequests);
  const meanMs = (t: CallTotals) =>
    Math.max(options.minLatencyMs, t.durationSumUs / t.requests / 1000);
  const fastest = new Map<string, number>();
  for (const byDestination of calls.values()) {
    for (const [destination, t] of byDestination) {
      const mean = meanMs(t);
      if (judged(t) && Number.isFinite(mean) && mean < (fastest.get(destination) ?? Infinity)) {
        fastest.set(destination, mean);
      }
    }
  }
  const health = new Map<string, number>();
  for (const [endpoint, byDestination] of calls) {
    let requests = 0;
    let errors = 0;
    let slowdownSum = 0;
    for (const [destination, t] of byDestination) {
      if (!(t.requests > 0)) continue;
      requests += t.requests;
      errors += Math.min(t.errors, t.requests);
      const best = fastest.get(destination);
      const slowdown = judged(t) && best !== undefined ? meanMs(t) / best : 1;
      slowdownSum += t.requests * (Number.isFinite(slowdown) ? slowdown : 1);
    }
    if (requests === 0) continue;
    const success = 1 - errors / Math.max(requests, options.minRequests);
    const speed = Math.min(1, (1 + options.tolerance) / (slowdownSum / requests));
    health.set(endpoint, Math.min(1, Math.max(0, success * speed)));
  }
  return health;
}
