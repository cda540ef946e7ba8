import { describe, expect, it } from 'vitest';
import {
  decayFactor,
  emptyStats,
  errorRate,
  foldSample,
  meanLatencyMs,
  sampleOf,
  smoothToward,
} from '../../stream-jobs/policy/math/ewma.ts';

const sample = (requests: number, latencyMs: number | undefined, errors = 0) => ({
  requests,
  errors,
  latencyMs,
});

describe('policy EWMA', () => {
  it('halves per half-life and never decays backwards in time', () => {
    expect(decayFactor(2000, 2000)).toBe(0.5);
    expect(decayFactor(4000, 2000)).toBe(0.25);
    expect(decayFactor(0, 2000)).toBe(1);
    expect(decayFactor(-500, 2000)).toBe(1);
  });

  it('weights each interval by its requests', () => {
    let stats = foldSample(emptyStats, sample(100, 10), 0, 30);
    stats = foldSample(stats, sample(1, 1000), 1, 30);
    // One slow request against a hundred fast ones moves the mean by ~10 ms, not to 505 ms.
    expect(meanLatencyMs(stats)).toBeCloseTo((100 * 10 + 1000) / 101, 6);
  });

  it('decays the past by the factor while traffic is plentiful', () => {
    let stats = foldSample(emptyStats, sample(100, 10, 50), 0, 30);
    stats = foldSample(stats, sample(100, 20, 0), 0.5, 30);
    expect(stats.requests).toBe(150);
    expect(errorRate(stats)).toBeCloseTo(25 / 150, 9);
    expect(meanLatencyMs(stats)).toBeCloseTo((50 * 10 + 100 * 20) / 150, 9);
  });

  it('keeps memoryRequests of the past for a quiet endpoint, however old', () => {
    let stats = foldSample(emptyStats, sample(40, 50), 0, 30);
    for (let i = 0; i < 100; i++) stats = foldSample(stats, undefined, 0.5, 30);
    expect(stats.requests).toBeCloseTo(30, 9);
    expect(meanLatencyMs(stats)).toBeCloseTo(50, 9);
    // Two new requests replace two of the thirty remembered ones.
    stats = foldSample(stats, sample(2, 10), 0.5, 30);
    expect(stats.requests).toBeCloseTo(30, 9);
    expect(meanLatencyMs(stats)).toBeCloseTo((28 * 50 + 2 * 10) / 30, 9);
  });

  it('counts requests without a latency for errors only', () => {
    const stats = foldSample(emptyStats, sample(10, undefined, 10), 0, 30);
    expect(errorRate(stats)).toBe(1);
    expect(meanLatencyMs(stats)).toBeUndefined();
  });

  it('cleans observations no pipeline should produce', () => {
    const at = { mean: 12, p50: 10, p90: 20, p99: 30 };
    expect(sampleOf({ endpoint: 'a', requests: 10, errors: 3, latencyMs: at })).toEqual(
      sample(10, 12, 3),
    );
    expect(sampleOf({ endpoint: 'a', requests: 10, errors: 30, latencyMs: at }).errors).toBe(10);
    expect(sampleOf({ endpoint: 'a', requests: Number.NaN, errors: -1 })).toEqual(
      sample(0, undefined, 0),
    );
    const nanMean = { ...at, mean: Number.NaN };
    expect(sampleOf({ endpoint: 'a', requests: 5, errors: 0, latencyMs: nanMean }).latencyMs).toBe(
      undefined,
    );
  });

  it('smooths a signal toward each observation', () => {
    expect(smoothToward(1, 0, 0.5)).toBe(0.5);
    expect(smoothToward(1, 0, 0)).toBe(0);
    expect(smoothToward(0.2, 0.2, 0.7)).toBeCloseTo(0.2, 12);
  });
});
