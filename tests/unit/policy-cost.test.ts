import { describe, expect, it } from 'vitest';
import {
  costOf,
  costSlack,
  type Estimate,
  optimisticEstimate,
  referenceCost,
  targetLevel,
} from '../../stream-jobs/policy/math/cost.ts';
import { defaultPolicyOptions as options } from '../../stream-jobs/policy/options.ts';

const estimate = (over: Partial<Estimate> = {}): Estimate => ({
  requests: 100,
  errorRate: 0,
  latencyMs: 10,
  dependencyHealth: 1,
  ...over,
});

describe('policy cost', () => {
  it('is the latency for a healthy endpoint', () => {
    expect(costOf(estimate(), options)).toBe(10);
  });

  it('doubles at 5% errors, and a fast-failing endpoint costs more than a slow healthy one', () => {
    expect(costOf(estimate({ errorRate: 0.05 }), options)).toBeCloseTo(20, 9);
    const fastFailing = estimate({ errorRate: 0.5, latencyMs: 5.5 });
    expect(costOf(fastFailing, options)).toBeGreaterThan(
      costOf(estimate({ latencyMs: 50 }), options),
    );
  });

  it('grows as dependencies fail', () => {
    expect(costOf(estimate({ dependencyHealth: 0.5 }), options)).toBe(25);
    expect(costOf(estimate({ dependencyHealth: 0 }), options)).toBe(40);
    expect(costOf(estimate({ dependencyHealth: 7 }), options)).toBe(10);
  });

  it('treats sub-millisecond latencies as a millisecond', () => {
    expect(costOf(estimate({ latencyMs: 0.1 }), options)).toBe(1);
    expect(costOf(estimate({ latencyMs: 0.9 }), options)).toBe(1);
  });

  it('takes the reference from the loaded endpoints only', () => {
    const loaded = { cost: 12, requests: 300, level: 0 };
    const floored = { cost: 5, requests: 30, level: 8 };
    expect(referenceCost([loaded, floored])).toBe(loaded);
    expect(
      referenceCost([
        { ...loaded, level: 1 },
        { cost: 15, requests: 300, level: 0 },
      ]),
    ).toEqual({ ...loaded, level: 1 });
    expect(referenceCost([floored])).toBe(floored);
    expect(referenceCost([])).toBeUndefined();
  });

  it('widens the slack on thin evidence', () => {
    expect(costSlack(1e9, 1e9, options)).toBeCloseTo(0.2, 4);
    expect(costSlack(100, 100, options)).toBeCloseTo(0.2 + Math.sqrt(0.02), 9);
    expect(costSlack(10, 1000, options)).toBeGreaterThan(costSlack(100, 1000, options));
  });

  it('maps relative cost to a level: 0 within the slack, 5·log2 beyond', () => {
    expect(targetLevel(1, 0.2, options)).toBe(0);
    expect(targetLevel(1.2, 0.2, options)).toBe(0);
    expect(targetLevel(2.4, 0.2, options)).toBeCloseTo(5, 9);
    expect(targetLevel(4.8, 0.2, options)).toBeCloseTo(10, 9);
    expect(targetLevel(Number.NaN, 0.2, options)).toBe(0);
  });

  it('reads thin evidence as optimistically as it can', () => {
    const twoFailures = { requests: 2, errors: 2, timedRequests: 2, latencyMsSum: 4 };
    const read = optimisticEstimate(twoFailures, 1, options);
    // Eight more requests, all fine and fast: 2 errors in 10, latency (4 + 8 × 1) / 10.
    expect(read.errorRate).toBeCloseTo(0.2, 9);
    expect(read.latencyMs).toBeCloseTo(1.2, 9);
    expect(read.requests).toBe(2);
  });
});
