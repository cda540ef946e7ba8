/**
 * One interval of the adaptive policy on fresh statistics: assess every endpoint against the
 * best, check the panic guard, eject within the budget, and move the rest along the ladder.
 */
import type { DecisionReason } from '../types.ts';
import { type AssessInput, type Assessment, assess } from './assess.ts';
import type { Estimate } from './cost.ts';
import {
  chooseEjections,
  ejectionLengthMs,
  failsTooOften,
  isPanic,
  maxEjected,
} from './ejection.ts';
import { acquit, mayRaise, probe, readmit } from './recovery.ts';
import { type EndpointPolicyState, isEjected } from './state.ts';
import { maxLevel, probeWeightOf, stepLevel, wantedLevel, weightAt } from './weights.ts';

/** One endpoint's part of a decision, before it is shaped into an EndpointDecision. */
export interface EndpointOutcome {
  readonly endpoint: string;
  readonly state: EndpointPolicyState;
  readonly weight: number;
  readonly reason: DecisionReason;
  readonly estimate: Estimate;
  readonly relativeCost: number;
}

export interface AdaptInput extends AssessInput {
  /** Operator pins (cleaned: configured endpoints, integers 0..128). */
  readonly pins: ReadonlyMap<string, number>;
}

export function adapt(input: AdaptInput): { outcomes: EndpointOutcome[]; panic: boolean } {
  const { pins, nowMs, options } = input;
  const assessed = assess(input);
  const panic = isPanic(assessed.filter((a) => a.bad).length, assessed.length, options);
  const outcome = (
    a: Assessment,
    state: EndpointPolicyState,
    weight: number,
    why: DecisionReason,
  ) => {
    const settled = { ...state, lastBadMs: a.bad ? nowMs : state.lastBadMs };
    const pin = pins.get(a.endpoint);
    return {
      endpoint: a.endpoint,
      state: settled,
      weight: pin ?? weight,
      reason: pin === undefined ? why : 'pinned',
      estimate: a.estimate,
      relativeCost: a.relativeCost,
    } satisfies EndpointOutcome;
  };
  if (panic) {
    const calm = {
      level: 0,
      ejectedUntilMs: undefined,
      probation: false,
      risingSinceMs: undefined,
    };
    return {
      outcomes: assessed.map((a) => outcome(a, { ...a.state, ...calm }, a.base, 'panic')),
      panic,
    };
  }

  // An ejection or a probation holds its place in the budget even while a pin overrides its
  // weight; a pin to 0 takes a place too. Room is also left for at least one endpoint carrying
  // traffic (live and off probation: the probe weight carries next to nothing).
  const zeroPin = (a: Assessment) => pins.get(a.endpoint) === 0;
  const isOut = (a: Assessment) => isEjected(a.state, nowMs);
  const condemned = (a: Assessment) => isOut(a) || a.state.probation;
  const taken = assessed.filter((a) => condemned(a) || zeroPin(a)).length;
  const carrying = assessed.filter((a) =>
    pins.has(a.endpoint) ? !zeroPin(a) : !condemned(a),
  ).length;
  const room = Math.min(maxEjected(assessed.length, options) - taken, carrying - 1);
  const free = (a: Assessment) => !pins.has(a.endpoint) && !condemned(a);
  const candidates = assessed.filter((a) => free(a) && (a.ejectable || a.probeWorthy));
  const chosen = chooseEjections(
    candidates.map((a) => ({ ...a, probeOnly: !a.ejectable })),
    room,
    options,
  );
  // On probation already (its place in the budget taken): failing probes eject it at once.
  const eject = (a: Assessment) =>
    (chosen.has(a.endpoint) && a.ejectable) ||
    (a.ejectable && a.state.probation && !pins.has(a.endpoint) && !isOut(a));

  const outcomes = assessed.map((a): EndpointOutcome => {
    const { state, base, deepest } = a;
    if (eject(a)) {
      const ejections = state.ejections + 1;
      const until = nowMs + ejectionLengthMs(ejections, options);
      const ejected = {
        ...state,
        level: deepest,
        ejectedUntilMs: until,
        ejections,
        probation: false,
      };
      return outcome(a, ejected, 0, 'ejected');
    }
    if (isEjected(state, nowMs)) return outcome(a, state, 0, 'ejected');
    if (chosen.has(a.endpoint)) {
      return outcome(a, probe(state, deepest, nowMs), probeWeightOf(base, options), 'recovering');
    }
    if (state.probation) {
      // Acquitted for a whole rampStepMs, as the ramp holds before a climb: late statistics of
      // the requests sent before a lucky gap must not find it back at the floor.
      const since = a.acquitted ? (state.risingSinceMs ?? nowMs) : undefined;
      const held = since !== undefined && nowMs - since >= options.rampStepMs;
      if (!held) {
        const waiting = { ...state, risingSinceMs: since };
        return outcome(a, waiting, probeWeightOf(base, options), 'recovering');
      }
      const back = acquit(state, deepest, nowMs);
      return outcome(a, back, weightAt(base, deepest, options), 'recovering');
    }
    if (!a.judged)
      return outcome(a, state, weightAt(base, state.level, options), 'insufficient-data');
    const judged = state;
    // Failing but left in for lack of ejection room: straight to the floor, so a fast-failing
    // endpoint never outweighs a healthy one, whatever the step cap.
    if (failsTooOften(a.estimate, options)) {
      return outcome(
        a,
        { ...judged, level: deepest },
        weightAt(base, deepest, options),
        'adaptive',
      );
    }
    const wanted = wantedLevel(state.level, a.target, deepest, options);
    const rising = {
      ...judged,
      risingSinceMs: wanted < state.level ? (state.risingSinceMs ?? nowMs) : undefined,
    };
    const step = stepLevel(state.level, wanted, mayRaise(rising, nowMs, options), options);
    const moved = step.raised
      ? { ...rising, level: step.level, lastRaiseMs: nowMs, requestsSinceRaise: 0 }
      : { ...rising, level: step.level };
    return outcome(
      a,
      moved,
      weightAt(base, step.level, options),
      step.climbing ? 'recovering' : 'adaptive',
    );
  });
  return { outcomes: keepOneLive(outcomes, input), panic };
}

/**
 * Never every endpoint at 0: if pins made the policy's ejections the last straw, the ejected
 * endpoints come back on probation at the probe weight (an operator who pins every endpoint to
 * 0 is obeyed; the xds-server refuses that map and keeps the configured weights).
 */
function keepOneLive(outcomes: EndpointOutcome[], input: AdaptInput): EndpointOutcome[] {
  if (outcomes.some((o) => o.weight > 0)) return outcomes;
  return outcomes.map((o) => {
    if (o.reason !== 'ejected') return o;
    const base = input.bases.get(o.endpoint) ?? 1;
    const deepest = maxLevel(base, input.options);
    const state = readmit(o.state, deepest, input.nowMs);
    return { ...o, state, weight: probeWeightOf(base, input.options), reason: 'recovering' };
  });
}
