import { describe, expect, it } from 'vitest';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { ObservationBuffer } from '../../stream-jobs/policy/observations.ts';
import { newSketch, sketchToBytes } from '../../stream-jobs/rollup/sketch.ts';

function window(patch: Partial<EdgeStats> & { latenciesUs?: number[] }): EdgeStats {
  const { latenciesUs = [], ...rest } = patch;
  const sketch = newSketch();
  for (const us of latenciesUs) sketch.accept(us);
  return EdgeStats.fromPartial({
    sourceService: 'web',
    destinationCluster: 'catalog',
    upstreamEndpoint: '127.0.0.1:9001',
    windowStartMs: 10_000,
    windowSeconds: 1,
    requests: latenciesUs.length,
    status2xx: latenciesUs.length,
    durationSumUs: latenciesUs.reduce((a, b) => a + b, 0),
    latencySketch: sketchToBytes(sketch),
    ...rest,
  });
}

const managed = (cluster: string) => cluster === 'catalog';

describe('ObservationBuffer', () => {
  it('merges 1 s endpoint windows across callers, errors = 5xx + no response', () => {
    const buffer = new ObservationBuffer();
    expect(buffer.add(window({ latenciesUs: [10_000, 20_000] }), managed)).toBe(true);
    expect(
      buffer.add(
        window({ sourceService: 'cart', latenciesUs: [30_000], status5xx: 1, noResponse: 1 }),
        managed,
      ),
    ).toBe(true);
    const observation = buffer.take('catalog');
    expect(observation?.dataUpToMs).toBe(11_000);
    const [endpoint] = observation?.endpoints ?? [];
    expect(endpoint?.requests).toBe(3);
    expect(endpoint?.errors).toBe(2);
    expect(endpoint?.latencyMs?.mean).toBe(20);
    // rank floor(q·(n−1)) of 10, 20, 30 ms: the middle one, within the sketch’s 1%
    expect(endpoint?.latencyMs?.p50).toBeCloseTo(20, 0);
    expect(buffer.take('catalog')).toBeUndefined();
  });

  it('ignores edge totals, 10 s windows, unmanaged clusters and windows seen before', () => {
    const buffer = new ObservationBuffer();
    expect(buffer.add(window({ upstreamEndpoint: '', latenciesUs: [1] }), managed)).toBe(false);
    expect(buffer.add(window({ windowSeconds: 10, latenciesUs: [1] }), managed)).toBe(false);
    expect(buffer.add(window({ destinationCluster: 'db', latenciesUs: [1] }), managed)).toBe(false);
    expect(buffer.add(window({ latenciesUs: [1_000] }), managed)).toBe(true);
    expect(buffer.add(window({ latenciesUs: [1_000] }), managed)).toBe(false);
    expect(buffer.take('catalog')?.endpoints[0]?.requests).toBe(1);
  });

  it('forgets duplicate keys after a minute', () => {
    const buffer = new ObservationBuffer();
    buffer.add(window({ latenciesUs: [1_000] }), managed);
    buffer.prune(10_000 + 60_001);
    expect(buffer.add(window({ latenciesUs: [1_000] }), managed)).toBe(true);
  });

  it('falls back to the mean when a window carries no sketch', () => {
    const buffer = new ObservationBuffer();
    buffer.add(
      EdgeStats.fromPartial({
        destinationCluster: 'catalog',
        upstreamEndpoint: '127.0.0.1:9001',
        windowStartMs: 1,
        windowSeconds: 1,
        requests: 2,
        durationSumUs: 8_000,
      }),
      managed,
    );
    expect(buffer.take('catalog')?.endpoints[0]?.latencyMs).toEqual({
      mean: 4,
      p50: 4,
      p90: 4,
      p99: 4,
    });
  });
});
