import { describe, expect, it } from 'vitest';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import {
  type CallTotals,
  dependencyHealthOf,
  dependencyWindowMs,
  ObservationBuffer,
} from '../../stream-jobs/policy/observations.ts';
import { defaultPolicyOptions } from '../../stream-jobs/policy/options.ts';
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

/** An instance window: `calls` calls made by catalog's endpoint `instance` to `destination`. */
function calls(
  instance: string,
  patch: {
    destination?: string;
    requests: number;
    errors?: number;
    meanMs?: number;
    startMs?: number;
  },
): EdgeStats {
  const { destination = 'db', requests, errors = 0, meanMs = 10, startMs = 10_000 } = patch;
  return EdgeStats.fromPartial({
    sourceService: 'catalog',
    sourceInstance: instance,
    destinationCluster: destination,
    upstreamEndpoint: '',
    windowStartMs: startMs,
    windowSeconds: 1,
    requests,
    status2xx: requests - errors,
    status5xx: errors,
    durationSumUs: requests * meanMs * 1000,
  });
}

const totals = (requests: number, errors: number, meanMs: number): CallTotals => ({
  requests,
  errors,
  durationSumUs: requests * meanMs * 1000,
});

describe('dependencyHealthOf', () => {
  const options = defaultPolicyOptions; // minRequests 10, minLatencyMs 1, tolerance 0.2

  it('is success × speed: errors absolute, latency relative to the fastest sibling', () => {
    const health = dependencyHealthOf(
      new Map([
        // half its calls fail: 0.5
        ['e1', new Map([['db', totals(20, 10, 10)]])],
        // no errors, 3× slower than e1's calls to db: speed 1.2 / 3 = 0.4
        ['e2', new Map([['db', totals(20, 0, 30)]])],
        // 4 calls, 2 failed: too few to judge latency; success 1 − 2 / max(4, 10) = 0.8
        ['e3', new Map([['db', totals(4, 2, 100)]])],
        // 1.1× slower: within the tolerance, 1
        ['e4', new Map([['db', totals(20, 0, 11)]])],
        // db 2× slower on 10 calls, cache (nobody faster) on 30: slowdown (10×2 + 30×1) / 40
        // = 1.25, speed 1.2 / 1.25 = 0.96
        [
          'e5',
          new Map([
            ['db', totals(10, 0, 20)],
            ['cache', totals(30, 0, 5)],
          ]),
        ],
        ['e6', new Map([['db', totals(0, 0, 0)]])],
      ]),
      options,
    );
    expect(health.get('e1')).toBeCloseTo(0.5, 9);
    expect(health.get('e2')).toBeCloseTo(0.4, 9);
    expect(health.get('e3')).toBeCloseTo(0.8, 9);
    expect(health.get('e4')).toBe(1);
    expect(health.get('e5')).toBeCloseTo(0.96, 9);
    expect(health.has('e6')).toBe(false);
  });

  it('reads means below minLatencyMs as minLatencyMs, and few errors as few', () => {
    const health = dependencyHealthOf(
      new Map([
        // 0.2 ms and 0.9 ms both read 1 ms: no slowdown; one failure in 40 calls: 0.975
        ['e1', new Map([['cache', totals(40, 1, 0.2)]])],
        ['e2', new Map([['cache', totals(40, 0, 0.9)]])],
        // 3 ms: 3× the 1-ms floor, speed 1.2 / 3
        ['e3', new Map([['cache', totals(40, 0, 3)]])],
      ]),
      options,
    );
    expect(health.get('e1')).toBeCloseTo(0.975, 9);
    expect(health.get('e2')).toBe(1);
    expect(health.get('e3')).toBeCloseTo(0.4, 9);
  });

  it('a dependency every endpoint shares affects them alike', () => {
    const shared = new Map(
      ['e1', 'e2', 'e3'].map((e, i) => [e, new Map([['db', totals(100, 50, 40 + i)]])]),
    );
    expect([...dependencyHealthOf(shared, options).values()]).toEqual([0.5, 0.5, 0.5]);
  });
});

describe('ObservationBuffer: dependency health', () => {
  const own = (endpoint: string) =>
    window({ destinationCluster: 'catalog', upstreamEndpoint: endpoint, latenciesUs: [1_000] });

  it("turns the instance windows of a managed cluster's endpoints into their health", () => {
    const buffer = new ObservationBuffer();
    buffer.add(own('127.0.0.1:9001'), managed);
    buffer.add(own('127.0.0.1:9002'), managed);
    expect(buffer.add(calls('127.0.0.1:9001', { requests: 20, errors: 10 }), managed)).toBe(true);
    expect(buffer.add(calls('127.0.0.1:9002', { requests: 20 }), managed)).toBe(true);
    const observation = buffer.take('catalog');
    // only the endpoints' own windows are endpoint observations
    expect(observation?.endpoints.map((e) => e.endpoint)).toEqual([
      '127.0.0.1:9001',
      '127.0.0.1:9002',
    ]);
    expect(observation?.endpoints.map((e) => e.requests)).toEqual([1, 1]);
    // healthy endpoints are left out (1)
    expect(observation?.dependencyHealth).toEqual(new Map([['127.0.0.1:9001', 0.5]]));
  });

  it('keys instance windows by instance; ignores mixed, unmanaged and repeated ones', () => {
    const buffer = new ObservationBuffer();
    buffer.add(own('127.0.0.1:9001'), managed);
    const failing = { requests: 10, errors: 10 };
    expect(buffer.add(calls('127.0.0.1:9001', failing), managed)).toBe(true);
    // the same caller, destination and start, another instance: another window
    expect(buffer.add(calls('127.0.0.1:9002', failing), managed)).toBe(true);
    expect(buffer.add(calls('127.0.0.1:9002', failing), managed)).toBe(false);
    // an instance window with an endpoint: not a shape the rollup emits, counted nowhere
    const mixed = { ...calls('127.0.0.1:9003', failing), upstreamEndpoint: '127.0.0.1:7000' };
    expect(buffer.add(mixed, managed)).toBe(false);
    expect(buffer.add({ ...mixed, destinationCluster: 'catalog' }, managed)).toBe(false);
    // a caller that is not a managed cluster
    expect(buffer.add({ ...calls('127.0.0.1:9003', failing), sourceService: 'web' }, managed)).toBe(
      false,
    );
    expect(buffer.add({ ...calls('127.0.0.1:9003', failing), windowSeconds: 10 }, managed)).toBe(
      false,
    );
    const observation = buffer.take('catalog');
    expect(observation?.endpoints).toHaveLength(1);
    expect(observation?.dependencyHealth).toEqual(
      new Map([
        ['127.0.0.1:9001', 0],
        ['127.0.0.1:9002', 0],
      ]),
    );
  });

  it(`judges on the last ${dependencyWindowMs} ms of calls, not one interval's`, () => {
    const buffer = new ObservationBuffer();
    // 4 calls a second, half failing: one second alone reads 1 − 2/10 = 0.8
    for (let s = 0; s < 8; s++) {
      buffer.add({ ...own('127.0.0.1:9001'), windowStartMs: s * 1000 }, managed);
      buffer.add(calls('127.0.0.1:9001', { requests: 4, errors: 2, startMs: s * 1000 }), managed);
      const health = buffer.take('catalog')?.dependencyHealth?.get('127.0.0.1:9001');
      // after s + 1 seconds: 4(s+1) calls up to five seconds' 20, half failing
      const n = 4 * Math.min(s + 1, 5);
      expect(health).toBeCloseTo(1 - n / 2 / Math.max(n, 10), 9);
    }
    // an endpoint that stops calling: its calls leave the window (the last ones, thin, read
    // optimistically), then it is back to 1
    for (let s = 8; s <= 12; s++) {
      buffer.add({ ...own('127.0.0.1:9001'), windowStartMs: s * 1000 }, managed);
      const health = buffer.take('catalog')?.dependencyHealth?.get('127.0.0.1:9001');
      // windows s − 4 … 7 remain: those ending after the newest data (s + 1 s) − 5 s
      const n = 4 * (12 - s);
      if (n === 0) expect(health).toBeUndefined();
      else expect(health).toBeCloseTo(1 - n / 2 / Math.max(n, 10), 9);
    }
  });

  it('instance windows alone make no observation; forget drops them', () => {
    const buffer = new ObservationBuffer();
    buffer.add(calls('127.0.0.1:9001', { requests: 20, errors: 20 }), managed);
    expect(buffer.take('catalog')).toBeUndefined();
    buffer.add(own('127.0.0.1:9001'), managed);
    expect(buffer.take('catalog')?.dependencyHealth?.get('127.0.0.1:9001')).toBe(0);
    buffer.forget('catalog');
    buffer.add(own('127.0.0.1:9001'), managed);
    expect(buffer.take('catalog')?.dependencyHealth).toBeUndefined();
  });
});
