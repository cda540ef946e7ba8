/**
 * The policy's entry point: (spec, observation, previous state, pins, time) → (state, decision).
 * Pure: the job owns the clock, the Kafka topics and the audit table.
 */
import type { PolicyOptions } from '../options.ts';
import type {
  ClusterObservation,
  ClusterSpec,
  Decision,
  DecisionReason,
  EndpointDecision,
} from '../types.ts';
import { type AdaptInput, adapt, type EndpointOutcome } from './adapt.ts';
import { estimateOf } from './cost.ts';
import { decayFactor, foldSample, sampleOf, smoothToward } from './ewma.ts';
import { type ClusterPolicyState, type EndpointPolicyState, freshEndpointState } from './state.ts';
import { baseWeights, maxEndpointWeight } from './weights.ts';

export type { ClusterPolicyState, EndpointPolicyState } from './state.ts';

export interface DecideInput {
  readonly spec: ClusterSpec;
  /** This interval's statistics; undefined when none arrived. */
  readonly observation: ClusterObservation | undefined;
  readonly previous: ClusterPolicyState | undefined;
  /** Operator pins, endpoint → weight 0..128; they always win. */
  readonly pins: ReadonlyMap<string, number>;
  /** Wall clock, ms since epoch. */
  readonly nowMs: number;
  readonly dryRun: boolean;
  readonly options: PolicyOptions;
}

export interface DecideResult {
  readonly state: ClusterPolicyState;
  readonly decision: Decision;
  /** Some weight differs from the previous decision's (always true for a cluster's first). */
  readonly changed: boolean;
}

export function decide(input: DecideInput): DecideResult {
  const { spec, observation, nowMs, options } = input;
  const pins = cleanPins(input.pins, spec);
  const previous = input.previous?.cluster === spec.cluster ? input.previous : undefined;
  let endpoints = carryOver(previous, spec);
  let lastDataMs = previous?.lastDataMs ?? 0;
  // Windows already too old to use would only refresh state that the stale rule then discards.
  if (
    observation !== undefined &&
    observation.cluster === spec.cluster &&
    nowMs - observation.dataUpToMs <= options.staleAfterMs
  ) {
    endpoints = ingest(endpoints, observation, lastDataMs, options);
    lastDataMs = Math.max(lastDataMs, observation.dataUpToMs);
  }
  const stale = lastDataMs <= 0 || nowMs - lastDataMs > options.staleAfterMs;
  const adaptInput: AdaptInput = {
    endpoints,
    bases: baseWeights(spec.staticWeights),
    pins,
    nowMs,
    options,
  };
  const { outcomes, panic } = stale
    ? { outcomes: fallBack(spec, pins, endpoints, options), panic: false }
    : adapt(adaptInput);

  const weights = new Map(outcomes.map((o) => [o.endpoint, o.weight]));
  const endpointDecisions = outcomes.map((o) => toEndpointDecision(o, previous, spec));
  const state: ClusterPolicyState = {
    cluster: spec.cluster,
    lastDataMs,
    endpoints: new Map(outcomes.map((o) => [o.endpoint, o.state])),
    weights,
  };
  const decision: Decision = {
    cluster: spec.cluster,
    decidedAtMs: nowMs,
    dataUpToMs: stale ? 0 : lastDataMs,
    reason: clusterReason(endpointDecisions, stale, panic),
    dryRun: input.dryRun,
    endpoints: endpointDecisions,
  };
  const changed =
    previous === undefined ||
    previous.weights.size !== weights.size ||
    [...weights].some(([endpoint, weight]) => previous.weights.get(endpoint) !== weight);
  return { state, decision, changed };
}

/** The previous state of every endpoint still configured; new endpoints start fresh. */
function carryOver(
  previous: ClusterPolicyState | undefined,
  spec: ClusterSpec,
): Map<string, EndpointPolicyState> {
  const endpoints = new Map<string, EndpointPolicyState>();
  for (const endpoint of spec.staticWeights.keys()) {
    endpoints.set(endpoint, previous?.endpoints.get(endpoint) ?? freshEndpointState);
  }
  return endpoints;
}

/** Folds one observation into every endpoint's smoothed statistics. */
function ingest(
  endpoints: ReadonlyMap<string, EndpointPolicyState>,
  observation: ClusterObservation,
  lastDataMs: number,
  options: PolicyOptions,
): Map<string, EndpointPolicyState> {
  // The first observation replaces the fresh state's placeholders rather than averaging them in.
  const decay =
    lastDataMs > 0 ? decayFactor(observation.dataUpToMs - lastDataMs, options.halfLifeMs) : 0;
  const seen = new Map(observation.endpoints.map((e) => [e.endpoint, e]));
  const next = new Map<string, EndpointPolicyState>();
  for (const [endpoint, state] of endpoints) {
    // On probation only its probes count: windows ending within an interval of its start carry
    // the traffic of its weight before.
    const probing =
      !state.probation || observation.dataUpToMs >= state.probationSinceMs + options.intervalMs;
    const seenNow = probing ? seen.get(endpoint) : undefined;
    const sample = seenNow === undefined ? undefined : sampleOf(seenNow);
    const health = observation.dependencyHealth?.get(endpoint) ?? 1;
    const observedHealth = Number.isFinite(health) ? Math.min(1, Math.max(0, health)) : 1;
    next.set(endpoint, {
      ...state,
      stats: foldSample(state.stats, sample, decay, memoryOf(state, options)),
      requestsSinceRaise: state.requestsSinceRaise + (sample?.requests ?? 0),
      dependencyHealth: smoothToward(state.dependencyHealth, observedHealth, decay),
    });
  }
  return next;
}

/**
 * How many requests an estimate remembers at least: `memoryRequests`, but `minRequests` on
 * probation, where its probes trickle in and it must be acquitted on recent ones once healed.
 */
function memoryOf(state: EndpointPolicyState, options: PolicyOptions): number {
  return state.probation ? options.minRequests : options.memoryRequests;
}

/**
 * Fail static: without fresh statistics every endpoint runs on its configured weight, and what
 * was learnt is dropped, so that data coming back is judged afresh rather than against the past.
 */
function fallBack(
  spec: ClusterSpec,
  pins: ReadonlyMap<string, number>,
  endpoints: ReadonlyMap<string, unknown>,
  options: PolicyOptions,
): EndpointOutcome[] {
  return [...endpoints.keys()].map((endpoint) => {
    const configured = spec.staticWeights.get(endpoint) ?? 1;
    const weight = Number.isFinite(configured)
      ? Math.min(maxEndpointWeight, Math.max(1, Math.round(configured)))
      : 1;
    const pin = pins.get(endpoint);
    return {
      endpoint,
      state: freshEndpointState,
      weight: pin ?? weight,
      reason: pin === undefined ? 'stale' : 'pinned',
      estimate: estimateOf(freshEndpointState.stats, 1, options),
      relativeCost: 1,
    };
  });
}

/** Pins of configured endpoints, as Envoy-able integers (the API validates; this is a backstop). */
function cleanPins(pins: ReadonlyMap<string, number>, spec: ClusterSpec): Map<string, number> {
  const clean = new Map<string, number>();
  for (const [endpoint, weight] of pins) {
    if (!spec.staticWeights.has(endpoint) || !Number.isFinite(weight)) continue;
    clean.set(endpoint, Math.min(maxEndpointWeight, Math.max(0, Math.round(weight))));
  }
  return clean;
}

function toEndpointDecision(
  o: EndpointOutcome,
  previous: ClusterPolicyState | undefined,
  spec: ClusterSpec,
): EndpointDecision {
  return {
    endpoint: o.endpoint,
    weight: o.weight,
    previousWeight: previous?.weights.get(o.endpoint) ?? spec.staticWeights.get(o.endpoint) ?? 1,
    reason: o.reason,
    inputs: { ...o.estimate, relativeCost: o.relativeCost },
  };
}

function clusterReason(
  endpoints: readonly EndpointDecision[],
  stale: boolean,
  panic: boolean,
): DecisionReason {
  if (endpoints.some((e) => e.reason === 'pinned')) return 'pinned';
  if (stale) return 'stale';
  return panic ? 'panic' : 'adaptive';
}
