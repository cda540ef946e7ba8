/**
 * The weight ladder. Every push rebuilds Envoy's load balancer for the cluster, so weights never
 * take arbitrary values: an endpoint sits at an integer `level` below its base weight, one level
 * being a factor 2^(1/levelsPerHalving) (√2 by default: 128, 91, 64, 45, 32, 23, 16, 11, 8).
 * Levels move only past a dead-band, fall by a capped step and rise by the recovery ramp.
 */

import { maxEndpointWeight } from '../../../xds-server/mesh-config/types.ts';
import type { PolicyOptions } from '../options.ts';

export { maxEndpointWeight };

/**
 * Each endpoint's full (level 0) weight: its configured weight scaled so the largest is 128. The
 * configured proportions (capacity) are kept, and the ladder gets all of Envoy's resolution.
 */
export function baseWeights(staticWeights: ReadonlyMap<string, number>): Map<string, number> {
  const sane = (w: number) => (Number.isFinite(w) && w > 0 ? w : 1);
  const largest = Math.max(1e-9, ...[...staticWeights.values()].map(sane));
  const bases = new Map<string, number>();
  for (const [endpoint, weight] of staticWeights) {
    bases.set(endpoint, Math.max(1, Math.round((maxEndpointWeight * sane(weight)) / largest)));
  }
  return bases;
}

/** The lowest weight of a live endpoint; an endpoint configured lighter keeps its own weight. */
export function floorWeight(base: number, options: PolicyOptions): number {
  return Math.min(options.minWeight, base);
}

/** The weight of an endpoint on probation: sparse probes, under the floor. */
export function probeWeightOf(base: number, options: PolicyOptions): number {
  return Math.min(options.probeWeight, floorWeight(base, options));
}

/** The weight at `level`, on the ladder and never under the floor. */
export function weightAt(base: number, level: number, options: PolicyOptions): number {
  const weight = Math.round(base * 2 ** (-level / options.levelsPerHalving));
  return Math.max(floorWeight(base, options), weight);
}

/** The deepest level that still differs from the one above it: the floor's level. */
export function maxLevel(base: number, options: PolicyOptions): number {
  let level = 0;
  while (weightAt(base, level + 1, options) < weightAt(base, level, options)) level++;
  return level;
}

/**
 * The level `target` (continuous) asks for, seen from `level`: the current level while the target
 * is inside the dead-band, else the target rounded onto the ladder (never past the floor).
 */
export function wantedLevel(
  level: number,
  target: number,
  deepest: number,
  options: PolicyOptions,
): number {
  // Back within the tolerance of the best means full weight, however narrow the gap: without
  // this a dead-band of a level or more could strand an endpoint one level down for good.
  const moves = Math.abs(target - level) > options.deadBandLevels || target <= 0;
  return Math.min(deepest, moves ? Math.max(0, Math.round(target)) : level);
}

export interface LevelStep {
  readonly level: number;
  /** The level went up one ramp step (so the ramp's clock restarts). */
  readonly raised: boolean;
  /** Still above the wanted level after this step: the endpoint is climbing back. */
  readonly climbing: boolean;
}

/**
 * One interval's move from `level` to `wanted`: down at most `maxStepDownLevels`; up one level,
 * and only when the ramp allows (`mayRaise`). Falling is fast and rising slow on purpose: the
 * data arrives 2–3 s late, and a ramp faster than one step per lag would overshoot before the
 * first measurement of the new load.
 */
export function stepLevel(
  level: number,
  wanted: number,
  mayRaise: boolean,
  options: PolicyOptions,
): LevelStep {
  if (wanted > level) {
    const next = Math.min(wanted, level + options.maxStepDownLevels);
    return { level: next, raised: false, climbing: false };
  }
  if (wanted < level) {
    const next = mayRaise ? level - 1 : level;
    return { level: next, raised: mayRaise, climbing: next > wanted };
  }
  return { level, raised: false, climbing: false };
}
