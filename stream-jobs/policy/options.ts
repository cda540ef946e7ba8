/**
 * The adaptive policy's knobs, their defaults and their validation. The defaults are tuned for a
 * 1 s policy interval fed 1 s statistics windows that arrive 2–3 s late (see README.md for the
 * reasoning behind each number).
 */

import { maxEndpointWeight } from '../../xds-server/mesh-config/types.ts';
export interface PolicyOptions {
  /**
   * (number > 0, default 1,000) how often the job decides (its tick). The math itself counts in
   * time (half-life, ramp, ejection, staleness), so another interval keeps the same dynamics.
   */
  readonly intervalMs: number;
  /** (number > 0, default 2,000) half-life of the smoothed statistics (EWMA), in data time. */
  readonly halfLifeMs: number;
  /**
   * (integer ≥ 1, default 10) the fewest recent requests that judge an endpoint; with fewer it
   * is not judged (`insufficient-data`: weight unchanged), except that thin evidence may still
   * condemn it when even its most optimistic reading deserves ejection.
   */
  readonly minRequests: number;
  /**
   * (integer ≥ minRequests, default 30) the fewest requests an estimate remembers: a quiet
   * endpoint's memory stretches back to its last this-many requests instead of decaying them
   * away. Thirty requests show a fault that hits one request in ten with 96% odds, so a floored
   * endpoint is not acquitted in a lucky gap.
   */
  readonly memoryRequests: number;
  /** (number ≥ 1, default 1) latencies below this count as this: sub-millisecond gaps are noise. */
  readonly minLatencyMs: number;
  /** (number ≥ 0, default 20) cost × (1 + errorPenalty × error rate): 5% errors double the cost. */
  readonly errorPenalty: number;
  /** (number ≥ 0, default 3) cost × (1 + dependencyPenalty × (1 − dependency health)). */
  readonly dependencyPenalty: number;
  /** (number ≥ 0, default 0.2) costs within this fraction of the best count as the best… */
  readonly tolerance: number;
  /**
   * (number ≥ 0, default 1) …widened by this many standard errors of the two means compared,
   * √(1/n + 1/n_best), so that thin traffic is not mistaken for a difference (cost.ts).
   */
  readonly confidence: number;
  /**
   * (number > 0, default 2.5) weight ∝ (best cost / cost)^costExponent beyond the tolerance:
   * twice the best's cost earns under a fifth of its weight, five times the floor.
   */
  readonly costExponent: number;
  /** (integer 1..8, default 2) weight levels per halving: weights move on a ×√2 ladder. */
  readonly levelsPerHalving: number;
  /**
   * (number 0..2, default 1) a weight moves only when its target is more than this many levels
   * away, or when it is back within the tolerance of the best (target 0).
   */
  readonly deadBandLevels: number;
  /** (integer ≥ 1, default 4) most levels a weight may fall in one interval (4 = a quarter). */
  readonly maxStepDownLevels: number;
  /** (number ≥ 0, default 2,000) recovery ramp: a weight rises at most one level per this long… */
  readonly rampStepMs: number;
  /** (integer ≥ 0, default 5) …and per this many requests served since its last step up. */
  readonly rampRequests: number;
  /**
   * (integer 1..128, default 8) the lowest weight on the ladder: 2% next to three at 128. An
   * endpoint costing more than the ladder can express is probed instead (`probeWeight`).
   */
  readonly minWeight: number;
  /**
   * (integer 1..minWeight, default 2) the weight of an endpoint on probation: after an ejection,
   * or when it costs `probeRelativeCost` times the best. Sparse probes (0.4% of the traffic next
   * to four at 128) judge it continuously; it goes back to the floor only when they acquit it.
   * Envoy takes weights from 1 (our 0 removes the endpoint from the load balancer). 1 halves the
   * traffic a fault gets again but doubles the time probes take to acquit a healed endpoint (at
   * 200 req/s over 4 endpoints: ~20 s instead of ~10 s).
   */
  readonly probeWeight: number;
  /**
   * (number > 1, default 6) an endpoint judged to cost at least this many times the best goes
   * on probation at `probeWeight` (within the ejection budget) instead of sitting at the floor:
   * the floor's 2% of the traffic is too much of a 1-s tail for the cluster's p999 (one request
   * in ten taking a second costs ~10×; a 5× slower endpoint stays on the ladder). Its probes
   * acquit it once they cost less than this and earn at least the floor.
   */
  readonly probeRelativeCost: number;
  /** (number 0..1, default 0.2) an endpoint failing at least this share of requests is ejected. */
  readonly ejectErrorRate: number;
  /** (number > 1, default 20) an endpoint costing at least this many times the best is ejected. */
  readonly ejectRelativeCost: number;
  /** (number > 0, default 10,000) first ejection's length; each repeat adds as much again. */
  readonly ejectionMs: number;
  /** (number ≥ ejectionMs, default 20,000) the longest ejection, which bounds recovery time. */
  readonly maxEjectionMs: number;
  /** (number 0..1, default 0.5) most endpoints ejected at once: ⌊share × endpoints⌋ (2 of 4). */
  readonly maxEjectedShare: number;
  /** (number 0..1, default 0.5) more than this share of endpoints bad → panic: equal weights. */
  readonly panicThreshold: number;
  /** (number > 0, default 5,000) statistics older than this → the configured (static) weights. */
  readonly staleAfterMs: number;
}

export const defaultPolicyOptions: PolicyOptions = Object.freeze({
  intervalMs: 1_000,
  halfLifeMs: 2_000,
  minRequests: 10,
  memoryRequests: 30,
  minLatencyMs: 1,
  errorPenalty: 20,
  dependencyPenalty: 3,
  tolerance: 0.2,
  confidence: 1,
  costExponent: 2.5,
  levelsPerHalving: 2,
  deadBandLevels: 1,
  maxStepDownLevels: 4,
  rampStepMs: 2_000,
  rampRequests: 5,
  minWeight: 8,
  probeWeight: 2,
  probeRelativeCost: 6,
  ejectErrorRate: 0.2,
  ejectRelativeCost: 20,
  ejectionMs: 10_000,
  maxEjectionMs: 20_000,
  maxEjectedShare: 0.5,
  panicThreshold: 0.5,
  staleAfterMs: 5_000,
});

/** Options the policy refuses; the message names the key and quotes the value. */
export class PolicyOptionsError extends Error {
  override name = 'PolicyOptionsError';
}

type Check = readonly [test: (value: number) => boolean, expected: string];

const positive: Check = [(v) => v > 0, 'a number > 0'];
const nonNegative: Check = [(v) => v >= 0, 'a number ≥ 0'];
const fraction: Check = [(v) => v >= 0 && v <= 1, 'a number from 0 to 1'];
const count: Check = [(v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1'];

const checks: { readonly [K in keyof PolicyOptions]: Check } = {
  intervalMs: positive,
  halfLifeMs: positive,
  minRequests: count,
  memoryRequests: count,
  minLatencyMs: [(v) => v >= 1, 'a number ≥ 1'],
  errorPenalty: nonNegative,
  dependencyPenalty: nonNegative,
  tolerance: nonNegative,
  confidence: nonNegative,
  costExponent: positive,
  levelsPerHalving: [(v) => Number.isInteger(v) && v >= 1 && v <= 8, 'an integer from 1 to 8'],
  deadBandLevels: [(v) => v >= 0 && v <= 2, 'a number from 0 to 2'],
  maxStepDownLevels: count,
  rampStepMs: nonNegative,
  rampRequests: [(v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'],
  minWeight: [
    (v) => Number.isInteger(v) && v >= 1 && v <= maxEndpointWeight,
    `an integer from 1 to ${maxEndpointWeight}`,
  ],
  probeWeight: [
    (v) => Number.isInteger(v) && v >= 1 && v <= maxEndpointWeight,
    `an integer from 1 to ${maxEndpointWeight}`,
  ],
  probeRelativeCost: [(v) => v > 1, 'a number > 1'],
  ejectErrorRate: fraction,
  ejectRelativeCost: [(v) => v > 1, 'a number > 1'],
  ejectionMs: positive,
  maxEjectionMs: positive,
  maxEjectedShare: fraction,
  panicThreshold: fraction,
  staleAfterMs: positive,
};

const quote = (value: unknown): string =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

/**
 * Validates `input` (a plain object of some of the options, or undefined for none) over the
 * defaults. Unknown keys are refused, not ignored: a misspelt knob must not silently keep its
 * default. Returns a frozen value.
 */
export function parsePolicyOptions(input: unknown): PolicyOptions {
  if (input === undefined || input === null) return defaultPolicyOptions;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new PolicyOptionsError(`policy options must be an object, got ${quote(input)}`);
  }
  const merged: Record<string, number> = { ...defaultPolicyOptions };
  for (const [key, value] of Object.entries(input)) {
    const check = (checks as Record<string, Check | undefined>)[key];
    if (check === undefined) {
      const known = Object.keys(checks).join(', ');
      throw new PolicyOptionsError(`policy options: unknown key '${key}' (known: ${known})`);
    }
    const [test, expected] = check;
    if (typeof value !== 'number' || !Number.isFinite(value) || !test(value)) {
      throw new PolicyOptionsError(
        `policy options: ${key} must be ${expected}, got ${quote(value)}`,
      );
    }
    merged[key] = value;
  }
  if ((merged.memoryRequests ?? 0) < (merged.minRequests ?? 0)) {
    throw new PolicyOptionsError(
      `policy options: memoryRequests must be ≥ minRequests (${merged.minRequests}), got ${merged.memoryRequests}`,
    );
  }
  if ((merged.probeWeight ?? 0) > (merged.minWeight ?? 0)) {
    throw new PolicyOptionsError(
      `policy options: probeWeight must be ≤ minWeight (${merged.minWeight}), got ${merged.probeWeight}`,
    );
  }
  if ((merged.maxEjectionMs ?? 0) < (merged.ejectionMs ?? 0)) {
    throw new PolicyOptionsError(
      `policy options: maxEjectionMs must be ≥ ejectionMs (${merged.ejectionMs}), got ${merged.maxEjectionMs}`,
    );
  }
  return Object.freeze(merged as unknown as PolicyOptions);
}
