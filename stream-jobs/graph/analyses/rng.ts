/**
 * Seeded randomness for the analyses that sample (betweenness sources, Louvain's visiting
 * order): the same seed gives the same answer on every run and machine.
 */

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct indices out of 0..n-1, uniformly (partial Fisher–Yates), in draw order. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const ids = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < Math.min(k, n); i++) {
    const j = i + Math.floor(rng() * (n - i));
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  return ids.slice(0, k);
}
