import { describe, expect, it } from 'vitest';
import { explainDecision } from '../../stream-jobs/policy/explain.ts';
import type { Decision, EndpointDecision } from '../../stream-jobs/policy/types.ts';
import { clusterSpec, Driver, T0 } from './policy-support.ts';

const endpoint = (over: Partial<EndpointDecision>): EndpointDecision => ({
  endpoint: '127.0.0.1:9001',
  weight: 12,
  previousWeight: 40,
  reason: 'adaptive',
  inputs: { requests: 120, errorRate: 0, latencyMs: 83, dependencyHealth: 1, relativeCost: 4.1 },
  ...over,
});

const decision = (endpoints: EndpointDecision[], over: Partial<Decision> = {}): Decision => ({
  cluster: 'llm',
  decidedAtMs: T0,
  dataUpToMs: T0 - 2000,
  reason: 'adaptive',
  dryRun: false,
  endpoints,
  ...over,
});

describe('explainDecision', () => {
  it('opens with the cluster, then a sentence per endpoint', () => {
    const lines = explainDecision(decision([endpoint({})]));
    expect(lines).toEqual([
      'llm: adaptive decision at 2026-01-01T12:00:00.000Z, on statistics up to 2026-01-01T11:59:58.000Z',
      "127.0.0.1:9001: weight 12 (was 40), adaptive: latency 83.0 ms, 4.1× the best endpoint's cost; error rate 0.0%",
    ]);
  });

  it('says why for every reason', () => {
    const lines = explainDecision(
      decision(
        [
          endpoint({ reason: 'pinned', weight: 40 }),
          endpoint({ reason: 'stale', weight: 1 }),
          endpoint({ reason: 'panic', weight: 128 }),
          endpoint({
            reason: 'ejected',
            weight: 0,
            inputs: {
              requests: 40,
              errorRate: 0.52,
              latencyMs: 1.2,
              dependencyHealth: 0.6,
              relativeCost: 11,
            },
          }),
          endpoint({ reason: 'recovering', weight: 16, previousWeight: 16 }),
          endpoint({ reason: 'insufficient-data', weight: 128, previousWeight: 128 }),
        ],
        { dryRun: true, dataUpToMs: 0, reason: 'pinned' },
      ),
    );
    expect(lines[0]).toBe(
      'llm: pinned decision at 2026-01-01T12:00:00.000Z (dry run: recorded, not pushed)',
    );
    expect(lines.slice(1)).toEqual([
      '127.0.0.1:9001: weight 40 (unchanged), pinned by an operator',
      '127.0.0.1:9001: weight 1 (was 40), static: no fresh statistics, so the configured weight',
      expect.stringMatching(
        /^127\.0\.0\.1:9001: weight 128 \(was 40\), panic guard: most endpoints look bad/,
      ),
      "127.0.0.1:9001: weight 0 (was 40), ejected (no traffic until it is probed again): latency 1.2 ms, 11.0× the best endpoint's cost; error rate 52.0%; dependencies 60% healthy",
      expect.stringMatching(
        /weight 16 \(unchanged\), recovering: on probation \(sparse probes\) or climbing back by the recovery ramp/,
      ),
      '127.0.0.1:9001: weight 128 (unchanged), too few recent requests to judge (120.0), weight kept',
    ]);
  });

  it('explains real decisions', () => {
    const driver = new Driver(clusterSpec(2));
    const result = driver.step({ seen: [{ requests: 50 }, { requests: 50, latencyMs: 100 }] });
    const lines = explainDecision(result.decision);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('as good as the best endpoint');
    expect(lines[2]).toContain("10.0× the best endpoint's cost");
  });
});
