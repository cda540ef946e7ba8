/**
 * Seeded randomness for the analyses that sample (betweenness sources, Louvain's visiting
 * order): the same seed gives the same answer on every run and machine.
 */

import { mulberry32 } from '../../../lib/random.ts';

export { mulberry32 };

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
