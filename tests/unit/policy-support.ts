/**
 * `decide` step by step on inputs a test writes, for tests/unit/policy-*.test.ts: a cluster
 * `llm` of endpoints 127.0.0.1:9001…, observations in round numbers, and a driver that carries
 * the state from one interval to the next.
 */
import {
  type ClusterPolicyState,
  type DecideResult,
  decide,
} from '../../stream-jobs/policy/math/decide.ts';
import { defaultPolicyOptions, type PolicyOptions } from '../../stream-jobs/policy/options.ts';
import type {
  ClusterObservation,
  ClusterSpec,
  DecisionReason,
  EndpointObservation,
} from '../../stream-jobs/policy/types.ts';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function endpointName(i: number): string {
  return `127.0.0.1:${9001 + i}`;
}

/** A cluster `llm` of `n` endpoints (endpointName(i)), all configured at `weight`. */
export function clusterSpec(n: number, weight = 1) {
  return {
    cluster: 'llm',
    staticWeights: new Map(Array.from({ length: n }, (_, i) => [endpointName(i), weight])),
  };
}

/** What one endpoint did in an interval, in round numbers. */
export interface Seen {
  readonly requests: number;
  readonly errors?: number;
  readonly latencyMs?: number;
}

/** An observation of `llm` whose newest window ends at `dataUpToMs`; endpoint i saw seen[i]. */
export function observationOf(
  dataUpToMs: number,
  seen: readonly Seen[],
  dependencyHealth?: ReadonlyMap<string, number>,
): ClusterObservation {
  const endpoints = seen.map((s, i): EndpointObservation => {
    const latency = s.latencyMs ?? 10;
    const base = { endpoint: endpointName(i), requests: s.requests, errors: s.errors ?? 0 };
    if (s.requests === 0) return base;
    return { ...base, latencyMs: { mean: latency, p50: latency, p90: latency, p99: latency } };
  });
  return dependencyHealth === undefined
    ? { cluster: 'llm', dataUpToMs, endpoints }
    : { cluster: 'llm', dataUpToMs, endpoints, dependencyHealth };
}

export interface StepInput {
  /** What each endpoint did; undefined: no statistics this interval. */
  readonly seen: readonly Seen[] | undefined;
  readonly pins?: ReadonlyMap<string, number>;
  readonly dependencyHealth?: ReadonlyMap<string, number>;
  /** Wall-clock time since the previous step (default 1,000 ms). */
  readonly advanceMs?: number;
}

/**
 * Calls `decide` once per step, a second apart, carrying the state; each observation's data
 * ends `lagMs` before the decision.
 */
export class Driver {
  nowMs = T0;
  state: ClusterPolicyState | undefined;
  readonly results: DecideResult[] = [];

  constructor(
    readonly spec: ClusterSpec,
    readonly options: PolicyOptions = defaultPolicyOptions,
    readonly lagMs = 2000,
  ) {}

  step(input: StepInput): DecideResult {
    this.nowMs += input.advanceMs ?? 1000;
    const observation =
      input.seen === undefined
        ? undefined
        : observationOf(this.nowMs - this.lagMs, input.seen, input.dependencyHealth);
    const result = decide({
      spec: this.spec,
      observation,
      previous: this.state,
      pins: input.pins ?? new Map(),
      nowMs: this.nowMs,
      dryRun: false,
      options: this.options,
    });
    this.state = result.state;
    this.results.push(result);
    return result;
  }

  /** `steps` identical steps; the last result. */
  repeat(steps: number, input: StepInput): DecideResult {
    let last: DecideResult | undefined;
    for (let i = 0; i < steps; i++) last = this.step(input);
    if (last === undefined) throw new Error('repeat: no steps');
    return last;
  }
}

export const weightsOf = (result: DecideResult): number[] =>
  result.decision.endpoints.map((e) => e.weight);

export const reasonsOf = (result: DecideResult): DecisionReason[] =>
  result.decision.endpoints.map((e) => e.reason);
