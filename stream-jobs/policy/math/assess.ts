/**
 * Where each endpoint stands this interval: its estimate, its cost relative to the cluster's
 * reference, the level that cost earns, and whether it is ejectable or bad (for the panic guard).
 */
import type { PolicyOptions } from '../options.ts';
import {
  costOf,
  costSlack,
  type Estimate,
  estimateOf,
  optimisticEstimate,
  referenceCost,
  targetLevel,
} from './cost.ts';
import { failsTooOften, isEjectable } from './ejection.ts';
import { forgiveEjections, readmit } from './recovery.ts';
import { type EndpointPolicyState, isEjected } from './state.ts';
import { maxLevel } from './weights.ts';

export interface AssessInput {
  /** Every endpoint of the cluster, this interval's statistics already folded in. */
  readonly endpoints: ReadonlyMap<string, EndpointPolicyState>;
  /** endpoint → level-0 weight (weights.ts baseWeights). */
  readonly bases: ReadonlyMap<string, number>;
  readonly nowMs: number;
  readonly options: PolicyOptions;
}

export interface Assessment {
  readonly endpoint: string;
  /** The endpoint's state, with an ejection that has run out turned into probation. */
  readonly state: EndpointPolicyState;
  readonly base: number;
  /** The floor's level (weights.ts maxLevel). */
  readonly deepest: number;
  readonly estimate: Estimate;
  readonly relativeCost: number;
  /** The continuous level its cost earns (cost.ts targetLevel). */
  readonly target: number;
  /** Enough requests (`minRequests`) to be judged on its estimate. */
  readonly judged: boolean;
  readonly ejectable: boolean;
  /** Judged to cost `probeRelativeCost` times the best or more: one for probation. */
  readonly probeWorthy: boolean;
  /** On probation, and its fresh probes (at least `minRequests`) acquit it. */
  readonly acquitted: boolean;
  /**
   * What the panic guard counts: ejected, ejectable, on probation and not acquitted, or costly
   * enough to earn a quarter of its weight or less (about twice the best's cost by default).
   */
  readonly bad: boolean;
}

export function assess(input: AssessInput): Assessment[] {
  const { nowMs, options } = input;
  const partial = [...input.endpoints].map(([endpoint, prior]) => {
    const base = input.bases.get(endpoint) ?? 1;
    const deepest = maxLevel(base, options);
    const forgiven = forgiveEjections(prior, nowMs, options);
    const expired = forgiven.ejectedUntilMs !== undefined && !isEjected(forgiven, nowMs);
    const state = expired ? readmit(forgiven, deepest, nowMs) : forgiven;
    const estimate = estimateOf(state.stats, state.dependencyHealth, options);
    const live = !isEjected(state, nowMs);
    const judged = live && state.stats.requests >= options.minRequests;
    // Thin evidence may condemn (at its most optimistic it is still bad) but never acquit.
    const verdict =
      judged || !live || state.stats.requests === 0
        ? undefined
        : optimisticEstimate(state.stats, state.dependencyHealth, options);
    return {
      endpoint,
      state,
      base,
      deepest,
      estimate,
      cost: costOf(estimate, options),
      judged,
      verdict,
    };
  });
  const reference = referenceCost(
    partial
      .filter((p) => p.judged && !failsTooOften(p.estimate, options))
      .map((p) => ({ cost: p.cost, requests: p.state.stats.requests, level: p.state.level })),
  );
  return partial.map((p) => {
    const relativeCost = reference === undefined ? 1 : p.cost / reference.cost;
    const slack = costSlack(p.state.stats.requests, reference?.requests ?? 0, options);
    const target = targetLevel(relativeCost, slack, options);
    const thin = p.verdict;
    const ejectable =
      (p.judged && isEjectable(p.estimate, relativeCost, options)) ||
      (thin !== undefined &&
        isEjectable(thin, costOf(thin, options) / (reference?.cost ?? Infinity), options));
    const quartered = p.judged && Math.round(target) >= 2 * options.levelsPerHalving;
    const probeWorthy = p.judged && relativeCost >= options.probeRelativeCost;
    // Acquitted: judged on its fresh probes, and cheap enough to earn at least the floor.
    const acquitted =
      p.state.probation && p.judged && !ejectable && !probeWorthy && target <= p.deepest;
    const unproven = isEjected(p.state, nowMs) || (p.state.probation && !acquitted);
    return {
      ...p,
      relativeCost,
      target,
      ejectable,
      probeWorthy,
      acquitted,
      bad: ejectable || quartered || unproven,
    };
  });
}
