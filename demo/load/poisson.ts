/**
 * Seeded randomness for load and service times: the same seed gives the same arrivals and the
 * same service times, so two arms of a benchmark face exactly the same traffic.
 */

import { mulberry32 } from '../../lib/random.ts';

/** A uniform PRNG on [0, 1) (lib/random.ts). */
export const seededRandom = mulberry32;

/** An exponential variate with mean `meanMs` (inverse transform; 1 − u avoids log(0)). */
export function exponential(random: () => number, meanMs: number): number {
  return -Math.log(1 - random()) * meanMs;
}

/** A standard normal variate (Box–Muller; one of the pair is dropped for simplicity). */
export function standardNormal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A lognormal variate given its median and the sigma of its logarithm: median·e^(σZ).
 * Its mean is median·e^(σ²/2) (σ = 0.5: 1.13 × the median), its p99 median·e^(2.326σ).
 */
export function lognormal(random: () => number, median: number, sigma: number): number {
  return median * Math.exp(sigma * standardNormal(random));
}

/**
 * Arrival offsets (ms from the start) of a Poisson process of `ratePerSecond`: independent
 * exponential gaps. Unbounded; the caller stops taking when its run ends.
 */
export function* poissonArrivals(ratePerSecond: number, seed: number): Generator<number> {
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  const random = seededRandom(seed);
  const meanGapMs = 1000 / ratePerSecond;
  let at = 0;
  for (;;) {
    at += exponential(random, meanGapMs);
    yield at;
  }
}
