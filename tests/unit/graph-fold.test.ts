import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import type { GraphChange } from '../../stream-jobs/graph/events.ts';
import { GraphFold, GraphFoldError, type GraphFoldOptions } from '../../stream-jobs/graph/fold.ts';
import { healthOf } from '../../stream-jobs/graph/health.ts';
import type { EdgeAttributes, Horizon, RedStats } from '../../stream-jobs/graph/model.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const W = 10_000;

/** A DDSketch (1%) of `values` in microseconds, encoded as the rollup sends it. */
function sketchBytes(valuesUs: readonly number[]): Buffer {
  const sketch = new DDSketch();
  for (const v of valuesUs) sketch.accept(v);
  return Buffer.from(sketch.toProto());
}

interface WindowSpec {
  source?: string;
  destination?: string;
  endpoint?: string;
  startMs: number;
  seconds?: number;
  ok?: number;
  status5xx?: number;
  noResponse?: number;
  /** Latencies in ms, one per request (default: ok + errors requests at 10 ms). */
  latenciesMs?: readonly number[];
}

/** One EdgeStats window, sent through protobuf encode/decode like a Kafka message. */
function win(spec: WindowSpec): EdgeStats {
  const ok = spec.ok ?? 100;
  const status5xx = spec.status5xx ?? 0;
  const noResponse = spec.noResponse ?? 0;
  const requests = ok + status5xx + noResponse;
  const latencies = spec.latenciesMs ?? Array.from({ length: requests }, () => 10);
  const message = EdgeStats.fromPartial({
    sourceService: spec.source ?? 'frontend',
    destinationCluster: spec.destination ?? 'catalog',
    upstreamEndpoint: spec.endpoint ?? '',
    windowStartMs: spec.startMs,
    windowSeconds: spec.seconds ?? 10,
    requests,
    status2xx: ok,
    status5xx,
    noResponse,
    latencySketch:
      latencies.length > 0 ? sketchBytes(latencies.map((ms) => ms * 1000)) : Buffer.alloc(0),
  });
  return EdgeStats.decode(EdgeStats.encode(message).finish());
}

const fold = (options: GraphFoldOptions = {}) => new GraphFold({ lagMs: 0, ...options });
const stats = (f: GraphFold, key = 'frontend→catalog'): Record<Horizon, RedStats> =>
  f.graph().getEdgeAttribute(key, 'stats');
/** Latencies 1..100 ms, one request each. */
const ramp = Array.from({ length: 100 }, (_, i) => i + 1);
/** |actual − expected| within DDSketch's 1% relative accuracy. */
const within1 = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 0.01 + 1e-9);

describe('GraphFold: RED over decayed horizons', () => {
  it('gives the exact rate, error rate and quantiles (within 1%) of steady traffic', () => {
    const f = fold();
    for (let k = 0; k < 6; k++) {
      f.apply(win({ startMs: T0 + k * W, ok: 95, status5xx: 3, noResponse: 2, latenciesMs: ramp }));
    }
    expect(f.clockMs).toBe(T0 + 60_000);
    for (const h of ['1m', '5m', '1h'] as const) {
      const s = stats(f)[h];
      expect(s.rate).toBeCloseTo(10, 9); // 100 requests per 10 s
      expect(s.errorRate).toBeCloseTo(0.05, 12); // (5xx + no response) / requests
      // 600 values, 1..100 ms six times each; DDSketch ranks q·(n−1), so the exact values are
      // the sorted values at ⌊q·599⌋: 50, 90, 99 and 100 ms.
      within1(s.p50, 50);
      within1(s.p90, 90);
      within1(s.p99, 99);
      within1(s.p999, 100);
    }
    // The 1 m count decayed: 600 · (1 − e^{−1}) · 60/60 seconds of exposure.
    expect(stats(f)['1m'].requests).toBeCloseTo(600 * (1 - Math.exp(-1)), 9);
  });

  it('decays counts with τ = horizon and divides by the decayed exposure', () => {
    const f = fold();
    for (let k = 0; k < 6; k++) f.apply(win({ startMs: T0 + k * W }));
    f.advance(T0 + 90_000); // 30 s after the last window ended
    for (const [h, tau] of [
      ['1m', 60],
      ['5m', 300],
      ['1h', 3600],
    ] as const) {
      const count = 10 * tau * (1 - Math.exp(-60 / tau)) * Math.exp(-30 / tau);
      const exposure = tau * (1 - Math.exp(-90 / tau));
      expect(stats(f)[h].requests).toBeCloseTo(count, 9);
      expect(stats(f)[h].rate).toBeCloseTo(count / exposure, 9);
    }
    // After hours of watching the exposure is the horizon itself: rate = count / horizon s.
    const long = fold();
    for (let k = 0; k < 6 * 60 * 5; k++) long.apply(win({ startMs: T0 + k * W }));
    expect(stats(long)['1m'].rate).toBeCloseTo(stats(long)['1m'].requests / 60, 9);
    expect(stats(long)['1m'].rate).toBeCloseTo(10, 9);
    expect(stats(long)['1h'].rate).toBeCloseTo(10, 6);
  });

  it('keeps the clock on the newest window while windows flow, and nowMs − lagMs after', () => {
    const f = new GraphFold(); // lagMs 20 s
    f.apply(win({ startMs: T0 }));
    f.advance(T0 + W + 15_000);
    expect(f.clockMs).toBe(T0 + W);
    f.advance(T0 + W + 50_000);
    expect(f.clockMs).toBe(T0 + W + 30_000);
    expect(() => f.advance(Number.NaN)).toThrow(/GraphFold\.advance: .* got NaN/);
  });

  it('quantiles cover a sliding window of the horizon: old latencies leave the 1 m ring', () => {
    const f = fold();
    f.apply(win({ startMs: T0, ok: 10, latenciesMs: Array(10).fill(500) }));
    for (let k = 1; k <= 12; k++) f.apply(win({ startMs: T0 + k * W, ok: 10 }));
    within1(stats(f)['1m'].p999, 10);
    within1(stats(f)['1h'].p999, 500);
    // Ring of 6 buckets + the one in progress, per horizon: the memory bound.
    expect(f.counters().sketches).toBeLessThanOrEqual(3 * 7);
  });
});

describe('GraphFold: replays and bounds', () => {
  const windows = Array.from({ length: 30 }, (_, k) =>
    win({
      startMs: T0 + k * W,
      ok: 50 + k,
      status5xx: k % 4,
      latenciesMs: ramp.slice(0, 50 + k + (k % 4)),
    }),
  );

  it('ignores a replayed window and is independent of arrival order', () => {
    const a = fold();
    for (const w of windows) expect(a.apply(w)).toBe(true);
    const before = stats(a);
    for (const w of windows.slice(10)) expect(a.apply(w)).toBe(false);
    expect(stats(a)).toEqual(before);
    expect(a.counters()).toMatchObject({ folded: 30, duplicates: 20 });

    const b = fold();
    for (const w of [...windows].reverse()) b.apply(w);
    for (const h of ['1m', '5m', '1h'] as const) {
      expect(stats(b)[h].rate).toBeCloseTo(before[h].rate, 9);
      expect(stats(b)[h].errorRate).toBeCloseTo(before[h].errorRate, 9);
      expect(stats(b)[h].p99).toBe(before[h].p99);
    }
  });

  it('remembers at most an hour (+ a minute) of windows per key, however long it runs', () => {
    const f = fold();
    for (let k = 0; k < 6 * 60 * 3; k++) {
      f.apply(win({ startMs: T0 + k * W, ok: 1, latenciesMs: [5] }));
      f.advance(T0 + (k + 1) * W);
    }
    const { windowsRemembered, sketches } = f.counters();
    // (1 h + one window + the 60-s pruning step) / 10 s, plus the window in progress.
    expect(windowsRemembered).toBeLessThanOrEqual((3_600 + 10 + 60) / 10 + 1);
    expect(sketches).toBeLessThanOrEqual(21);
    // A window older than the hour is refused rather than double counted.
    expect(f.apply(win({ startMs: T0 }))).toBe(false);
    expect(f.counters().ignored.tooOld).toBe(1);
  });

  it('ignores 1-s windows, per-instance windows, self-calls and windows far ahead of the wall clock', () => {
    const f = fold();
    f.advance(T0);
    expect(f.apply(win({ startMs: T0, seconds: 1 }))).toBe(false);
    expect(f.apply({ ...win({ startMs: T0 }), sourceInstance: '10.0.0.1:80' })).toBe(false);
    expect(f.apply(win({ startMs: T0, source: 'catalog' }))).toBe(false);
    expect(f.apply(win({ startMs: T0 + 3_600_000 }))).toBe(false);
    expect(f.counters().ignored).toEqual({
      windowSize: 1,
      perInstance: 1,
      tooOld: 0,
      future: 1,
      selfLoop: 1,
    });
    expect(f.graph().order).toBe(0);
  });

  it('refuses unplaceable windows and bad options with the method and the value', () => {
    const f = fold();
    expect(() => f.apply(win({ startMs: T0, source: '' }))).toThrow(
      "GraphFold.apply: source_service is empty in ''→catalog window 2026-01-01T12:00:00.000Z/10s",
    );
    const bad = { ...win({ startMs: T0 }), latencySketch: Buffer.from('nonsense') };
    expect(() => f.apply(bad)).toThrow(
      /latency_sketch \(8 bytes, starting 6e6f6e73656e7365\) of frontend→catalog/,
    );
    const coarse = new DDSketch({ relativeAccuracy: 0.05 });
    coarse.accept(1000);
    f.apply(win({ startMs: T0 }));
    const other = { ...win({ startMs: T0 + W }), latencySketch: Buffer.from(coarse.toProto()) };
    expect(() => f.apply(other)).toThrow(
      /relative accuracy 0\.0500, but this fold holds sketches of 0\.0100/,
    );
    expect(() => new GraphFold({ bucketsPerHorizon: 7 })).toThrow(GraphFoldError);
    expect(() => new GraphFold({ bucketsPerHorizon: 7 })).toThrow(
      'GraphFold: bucketsPerHorizon 7 makes 1m buckets of 8571.42857142857 ms, not a multiple of the 10-s window',
    );
    expect(() => new GraphFold({ lagMs: -1 })).toThrow(
      'GraphFold: lagMs must be a number ≥ 0, got -1',
    );
  });
});

describe('GraphFold: nodes and edges', () => {
  it('marks a destination virtual until it sends logs of its own, and the ingress as such', () => {
    const f = fold();
    f.apply(win({ startMs: T0, source: 'ingress', destination: 'frontend' }));
    f.apply(win({ startMs: T0, source: 'frontend', destination: 'catalog' }));
    const g = f.graph();
    expect(g.getNodeAttributes('ingress')).toEqual({
      kind: 'ingress',
      service: 'ingress',
      health: 'unknown',
    });
    expect(g.getNodeAttribute('frontend', 'kind')).toBe('service');
    expect(g.getNodeAttribute('catalog', 'kind')).toBe('virtual');
    f.apply(win({ startMs: T0, source: 'catalog', destination: 'db' }));
    expect(g.getNodeAttribute('catalog', 'kind')).toBe('service');
    expect(g.getNodeAttribute('db', 'kind')).toBe('virtual');
    expect(g.edges()).toEqual(['ingress→frontend', 'frontend→catalog', 'catalog→db']);
    expect(g.getEdgeAttribute('catalog→db', 'kind')).toBe('calls');
  });

  it('adds endpoints under their service with a hosts edge carrying all callers', () => {
    const f = fold();
    const endpoint = '10.0.0.1:8080';
    f.apply(win({ startMs: T0, source: 'frontend', destination: 'catalog', endpoint, ok: 60 }));
    f.apply(
      win({
        startMs: T0,
        source: 'checkout',
        destination: 'catalog',
        endpoint,
        ok: 40,
        status5xx: 10,
      }),
    );
    const g = f.graph();
    expect(g.getNodeAttributes('catalog/10.0.0.1:8080')).toMatchObject({
      kind: 'endpoint',
      service: 'catalog',
      endpoint,
    });
    expect(g.edges()).toEqual(['catalog→catalog/10.0.0.1:8080']); // no calls edge from endpoint stats
    const s = stats(f, 'catalog→catalog/10.0.0.1:8080');
    expect(g.getEdgeAttribute('catalog→catalog/10.0.0.1:8080', 'kind')).toBe('hosts');
    expect(s['1m'].rate).toBeCloseTo(11, 9); // 110 requests in the one 10-s window watched
    expect(s['1m'].errorRate).toBeCloseTo(10 / 110, 12);
  });

  it('removes edges unseen for over an hour, then the nodes they leave alone', () => {
    const f = fold();
    const changes: GraphChange[] = [];
    f.apply(
      win({ startMs: T0, source: 'frontend', destination: 'catalog', endpoint: '10.0.0.1:80' }),
    );
    f.apply(win({ startMs: T0, source: 'frontend', destination: 'catalog' }));
    f.apply(win({ startMs: T0 + 1_800_000, source: 'frontend', destination: 'cart' }));
    f.subscribe((c) => changes.push(c));
    f.advance(T0 + W + 3_600_000);
    expect(f.graph().order).toBe(4);
    f.advance(T0 + W + 3_600_001);
    expect(f.graph().nodes()).toEqual(['frontend', 'cart']);
    expect(f.graph().edges()).toEqual(['frontend→cart']);
    expect(changes.filter((c) => c.type.endsWith('removed'))).toEqual([
      {
        type: 'edge-removed',
        atMs: T0 + W + 3_600_001,
        key: 'catalog→catalog/10.0.0.1:80',
        source: 'catalog',
        target: 'catalog/10.0.0.1:80',
      },
      {
        type: 'edge-removed',
        atMs: T0 + W + 3_600_001,
        key: 'frontend→catalog',
        source: 'frontend',
        target: 'catalog',
      },
      { type: 'node-removed', atMs: T0 + W + 3_600_001, key: 'catalog' },
      { type: 'node-removed', atMs: T0 + W + 3_600_001, key: 'catalog/10.0.0.1:80' },
    ]);
  });
});

describe('GraphFold: health', () => {
  /** One minute (6 windows) of traffic into `destination` ending at `endMs`. */
  const minute = (f: GraphFold, endMs: number, spec: Omit<WindowSpec, 'startMs'>) => {
    for (let k = 6; k >= 1; k--) f.apply(win({ ...spec, startMs: endMs - k * W }));
  };

  it('is unknown without traffic, failing at ≥ 50% errors with ≥ 20 requests, degraded at ≥ 5%', () => {
    const f = fold();
    minute(f, T0 + 60_000, { destination: 'a', ok: 50, status5xx: 50 });
    minute(f, T0 + 60_000, { destination: 'b', ok: 0, status5xx: 1, latenciesMs: [10] });
    minute(f, T0 + 60_000, { destination: 'c', ok: 95, noResponse: 5 });
    minute(f, T0 + 60_000, { destination: 'd', ok: 96, status5xx: 4 });
    const health = (n: string) => f.graph().getNodeAttribute(n, 'health');
    expect(health('a')).toBe('failing');
    expect(health('b')).toBe('degraded'); // all failed, but 6 requests are too few to call it failing
    expect(health('c')).toBe('degraded');
    expect(health('d')).toBe('healthy');
    expect(health('frontend')).toBe('unknown'); // nothing calls it
    f.advance(T0 + 120_000);
    expect(health('d')).toBe('healthy'); // its newest window ended 60 s ago: still current
    f.advance(T0 + 120_001);
    expect(['a', 'b', 'c', 'd'].map(health)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
  });

  it('is degraded when an inbound p99 doubles its own 1 h baseline, not when it is merely high', () => {
    const f = fold();
    const steady = { destination: 'slow', ok: 100, latenciesMs: Array(100).fill(20) };
    for (let k = 0; k < 6 * 30; k++) f.apply(win({ ...steady, startMs: T0 + k * W }));
    const now = T0 + 6 * 30 * W;
    expect(f.graph().getNodeAttribute('slow', 'health')).toBe('healthy');
    // A minute in which 10% of requests take 100 ms: the 1 m p99 is 100 ms, the 1 h one 20 ms.
    const spike = [...Array(90).fill(20), ...Array(10).fill(100)];
    minute(f, now + 60_000, { destination: 'slow', ok: 100, latenciesMs: spike });
    const s = stats(f, 'frontend→slow');
    within1(s['1m'].p99, 100);
    within1(s['1h'].p99, 20);
    expect(f.graph().getNodeAttribute('slow', 'health')).toBe('degraded');
    // Always slow is its own baseline: healthy.
    minute(f, now + 60_000, {
      destination: 'steady-slow',
      ok: 100,
      latenciesMs: Array(100).fill(900),
    });
    expect(f.graph().getNodeAttribute('steady-slow', 'health')).toBe('healthy');
  });

  it('judges an endpoint by its hosts edge and ignores fast p99s under the floor', () => {
    const edge = (p99_1m: number, p99_1h: number): EdgeAttributes => {
      const red = (p99: number): RedStats => ({
        rate: 1,
        errorRate: 0,
        p50: 1,
        p90: 1,
        p99,
        p999: p99,
        requests: 100,
      });
      return {
        kind: 'hosts',
        lastSeenMs: T0,
        stats: { '1m': red(p99_1m), '5m': red(p99_1m), '1h': red(p99_1h) },
      };
    };
    expect(healthOf([edge(8, 2)], T0)).toBe('healthy'); // below the 10 ms floor
    expect(healthOf([edge(40, 20)], T0)).toBe('degraded');
    expect(healthOf([edge(39, 20)], T0)).toBe('healthy');
    expect(
      healthOf([edge(40, 20)], T0, {
        minRequests: 20,
        failingErrorRate: 0.5,
        degradedErrorRate: 0.05,
        latencyFactor: 3,
        latencyFloorMs: 10,
      }),
    ).toBe('healthy');
    const f = fold();
    minute(f, T0 + 60_000, { endpoint: '10.0.0.9:80', ok: 10, status5xx: 90 });
    expect(f.graph().getNodeAttribute('catalog/10.0.0.9:80', 'health')).toBe('failing');
    expect(f.graph().getNodeAttribute('catalog', 'health')).toBe('unknown'); // no calls edge yet
  });
});

describe('GraphFold: change feed', () => {
  it('announces nodes, edges, promotions and health, then stats at most once per edge per second', () => {
    const f = fold();
    const changes: GraphChange[] = [];
    const unsubscribe = f.subscribe((c) => changes.push(c));
    f.apply(win({ startMs: T0, source: 'frontend', destination: 'catalog' }));
    expect(changes.map((c) => c.type)).toEqual([
      'node-added',
      'node-added',
      'edge-added',
      'node-changed',
    ]);
    expect(changes[1]).toEqual({
      type: 'node-added',
      atMs: T0 + W,
      node: { key: 'catalog', kind: 'virtual', service: 'catalog', health: 'unknown' },
    });
    expect(changes[3]).toMatchObject({
      type: 'node-changed',
      node: { key: 'catalog', health: 'healthy' },
    });
    const added = changes[2];
    expect(added?.type === 'edge-added' && added.edge.stats['1m'].p99).toBeCloseTo(10, 0);
    changes.length = 0;
    // Clock steps of 100 ms: one edge-stats per 1,000 ms of fold time, the last state kept.
    for (let ms = 100; ms <= 2_500; ms += 100) f.advance(T0 + W + ms);
    const sent = changes.filter((c) => c.type === 'edge-stats');
    expect(sent.map((c) => c.atMs - T0 - W)).toEqual([1_000, 2_000]);
    changes.length = 0;
    f.apply(win({ startMs: T0 + W, source: 'catalog', destination: 'db' }));
    expect(changes.map((c) => c.type)).toEqual([
      'node-changed',
      'node-added',
      'edge-added',
      'node-changed',
    ]);
    expect(changes[0]).toMatchObject({ node: { key: 'catalog', kind: 'service' } });
    expect(changes[3]).toMatchObject({ node: { key: 'db', health: 'healthy' } });
    unsubscribe();
    f.advance(T0 + 60_000);
    f.advance(T0 + 200_000); // stats and health (now unknown) change, but no one listens
    expect(changes).toHaveLength(4);
    expect(f.graph().getNodeAttribute('db', 'health')).toBe('unknown');
  });

  it('keeps folding when a listener throws, and hands the error to onListenerError', () => {
    const errors: unknown[] = [];
    const f = fold({ onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    f.subscribe(() => {
      throw new Error('listener broke');
    });
    f.subscribe((c) => seen.push(c.type));
    expect(f.apply(win({ startMs: T0 }))).toBe(true);
    expect(seen).toHaveLength(4);
    expect(errors).toHaveLength(4);
    expect(f.graph().size).toBe(1);
  });

  it('snapshots as plain JSON, with null for quantiles without requests', () => {
    const f = fold();
    f.apply(win({ startMs: T0, ok: 5, latenciesMs: [] }));
    const snapshot = f.snapshot(T0 + 20_000);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot.atMs).toBe(T0 + 20_000);
    expect(snapshot.nodes.map((n) => n.key)).toEqual(['frontend', 'catalog']);
    expect(snapshot.edges[0]).toMatchObject({
      key: 'frontend→catalog',
      source: 'frontend',
      target: 'catalog',
      kind: 'calls',
      lastSeenMs: T0 + W,
    });
    expect(snapshot.edges[0]?.stats['1m']).toMatchObject({ p50: null, p99: null, errorRate: 0 });
  });
});
