/**
 * Seeded randomness, one generator for the whole project (graph analyses that sample, the load
 * generator, simulations in tests): the same seed gives the same sequence on every run and
 * machine, so benchmark arms face the same traffic and analyses give the same answer.
 */

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1); fast, and plenty for workloads. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
