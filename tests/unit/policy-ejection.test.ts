import { describe, expect, it } from 'vitest';
import type { Estimate } from '../../stream-jobs/policy/math/cost.ts';
import {
  chooseEjections,
  ejectionLengthMs,
  isEjectable,
  isPanic,
  maxEjected,
} from '../../stream-jobs/policy/math/ejection.ts';
import { emptyStats } from '../../stream-jobs/policy/math/ewma.ts';
import { forgiveEjections, mayRaise, readmit } from '../../stream-jobs/policy/math/recovery.ts';
import { freshEndpointState } from '../../stream-jobs/policy/math/state.ts';
import { defaultPolicyOptions as options } from '../../stream-jobs/policy/options.ts';

const estimate = (errorRate: number): Estimate => ({
  requests: 100,
  errorRate,
  latencyMs: 10,
  dependencyHealth: 1,
});

describe('policy ejection', () => {
  it('ejects on errors or on an order-of-magnitude cost', () => {
    expect(isEjectable(estimate(0.2), 1, options)).toBe(true);
    expect(isEjectable(estimate(0.19), 19.9, options)).toBe(false);
    expect(isEjectable(estimate(0), 20, options)).toBe(true);
  });

  it('allows ⌊half⌋ of the endpoints out: 1 of 2 or 3, 2 of 4, none of 1', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => maxEjected(n, options))).toEqual([0, 1, 1, 2, 2, 5]);
  });

  it('lengthens repeated ejections up to the cap', () => {
    expect([1, 2, 3, 9].map((n) => ejectionLengthMs(n, options))).toEqual([
      10_000, 20_000, 20_000, 20_000,
    ]);
  });

  it('panics when more than half look bad', () => {
    expect(isPanic(2, 4, options)).toBe(false);
    expect(isPanic(3, 4, options)).toBe(true);
    expect(isPanic(1, 1, options)).toBe(true);
    expect(isPanic(0, 0, options)).toBe(false);
  });

  it('ejects failing endpoints before merely slow ones, then the costliest', () => {
    const candidates = [
      { endpoint: 'slow', estimate: estimate(0), relativeCost: 50 },
      { endpoint: 'failing', estimate: estimate(0.5), relativeCost: 3 },
      { endpoint: 'slower', estimate: estimate(0), relativeCost: 80 },
    ];
    expect([...chooseEjections(candidates, 1, options)]).toEqual(['failing']);
    expect([...chooseEjections(candidates, 2, options)]).toEqual(['failing', 'slower']);
    expect(chooseEjections(candidates, -1, options).size).toBe(0);
  });
});

describe('policy recovery', () => {
  const ejected = {
    ...freshEndpointState,
    stats: { requests: 40, errors: 40, timedRequests: 40, latencyMsSum: 40 },
    ejectedUntilMs: 5_000,
    ejections: 2,
    requestsSinceRaise: 17,
  };

  it('re-admits on probation (its level the floor), forgetting the statistics', () => {
    const back = readmit(ejected, 8, 7_000);
    expect(back).toMatchObject({
      level: 8,
      probation: true,
      probationSinceMs: 7_000,
      ejectedUntilMs: undefined,
    });
    expect(back.stats).toBe(emptyStats);
    expect(back.ejections).toBe(2);
    expect(back.requestsSinceRaise).toBe(0);
  });

  it('paces the ramp by time, by requests, and by a hold before the first step', () => {
    const rising = {
      ...freshEndpointState,
      risingSinceMs: 0,
      lastRaiseMs: 0,
      requestsSinceRaise: 5,
    };
    expect(mayRaise(rising, 2_000, options)).toBe(true);
    expect(mayRaise(rising, 1_999, options)).toBe(false);
    expect(mayRaise({ ...rising, requestsSinceRaise: 4 }, 9_000, options)).toBe(false);
    expect(mayRaise({ ...rising, risingSinceMs: 8_000 }, 9_000, options)).toBe(false);
    expect(mayRaise({ ...rising, risingSinceMs: undefined }, 9_000, options)).toBe(false);
  });

  it('forgets repeated ejections after a clean maxEjectionMs', () => {
    const once = { ...freshEndpointState, ejections: 3, lastBadMs: 1_000 };
    expect(forgiveEjections(once, 20_999, options).ejections).toBe(3);
    expect(forgiveEjections(once, 21_000, options).ejections).toBe(0);
  });
});
