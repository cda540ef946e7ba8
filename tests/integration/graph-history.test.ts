import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lib/clickhouse/migrate.ts';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';
import { graphAt } from '../../stream-jobs/graph/history.ts';
import type { Horizon } from '../../stream-jobs/graph/model.ts';

const log = createLogger('test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

/*
 * graphAt against the real schema on the embedded engine: access_log rows go in, the
 * materialized views fill edge_stats and endpoint_stats, and the graph read back must match
 * aggregates computed here from the same rows.
 */

// Aligned to a 10-s window and recent (access_log keeps 7 days).
const T = Math.floor(Date.now() / 10_000) * 10_000 - 60_000;
const S = 1_000;

interface Req {
  atMs: number;
  source: string;
  destination: string;
  endpoint: string;
  status: number;
  durationMs: number;
}

const reqs: Req[] = [];
const add = (r: Omit<Req, 'endpoint'> & { endpoint?: string }) =>
  reqs.push({ endpoint: '10.0.0.1:8080', ...r });
// frontend → catalog over the hour before T: 1 request per window until T − 5 m, 10 per window
// until T − 1 m (5 ms), then 20 per window (1..20 ms) of which 2 fail on 10.0.0.2.
for (let start = T - 3_600_000; start < T; start += 10_000) {
  const age = T - start;
  const n = age > 300_000 ? 1 : age > 60_000 ? 10 : 20;
  for (let i = 0; i < n; i++) {
    const recent = n === 20;
    add({
      atMs: start + i * 400,
      source: 'frontend',
      destination: 'catalog',
      endpoint: i % 2 === 0 ? '10.0.0.1:8080' : '10.0.0.2:8080',
      status: recent && (i === 1 || i === 3) ? 503 : 200,
      durationMs: recent ? i + 1 : 5,
    });
  }
}
// ingress → frontend in the last minute, all failing; catalog → db 31 minutes before T only.
for (let i = 0; i < 60; i++) {
  add({
    atMs: T - 60_000 + i * S,
    source: 'ingress',
    destination: 'frontend',
    endpoint: '10.0.9.9:3000',
    status: 500,
    durationMs: 2,
  });
}
for (let i = 0; i < 10; i++) {
  add({
    atMs: T - 31 * 60_000 + i * S,
    source: 'catalog',
    destination: 'db',
    endpoint: '',
    status: 200,
    durationMs: 30,
  });
}
// After T (must not count), and a request no endpoint served (no endpoint node for '').
add({ atMs: T + 2 * S, source: 'frontend', destination: 'catalog', status: 503, durationMs: 900 });
add({
  atMs: T - 5 * S,
  source: 'frontend',
  destination: 'catalog',
  endpoint: '',
  status: 0,
  durationMs: 1,
});

/** The exact quantile at the rank DDSketch estimates, ⌊q·(n−1)⌋ (see clickhouse-schema.test.ts). */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
}

const horizonSeconds: Record<Horizon, number> = { '1m': 60, '5m': 300, '1h': 3_600 };

/** What graphAt should say about one edge (or endpoint, when `endpoint` is given) at `at`. */
function expected(at: number, h: Horizon, match: (r: Req) => boolean) {
  const inside = reqs.filter(
    (r) => match(r) && r.atMs >= at - horizonSeconds[h] * 1000 && r.atMs < at,
  );
  const errors = inside.filter((r) => r.status >= 500 || r.status === 0).length;
  const durations = inside.map((r) => r.durationMs);
  return {
    requests: inside.length,
    rate: inside.length / horizonSeconds[h],
    errorRate: inside.length === 0 ? 0 : errors / inside.length,
    p50: exactQuantile(durations, 0.5),
    p90: exactQuantile(durations, 0.9),
    p99: exactQuantile(durations, 0.99),
    p999: exactQuantile(durations, 0.999),
  };
}

describe('graphAt: the graph at an earlier time from ClickHouse (embedded engine)', () => {
  let dir: string;
  let store: ClickHouseStore;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-graph-history-'));
    store = await openStore(`chdb://${dir}/data`, log);
    await migrate(store, log);
    await store.insert(
      'access_log',
      reqs.map((r, i) => ({
        start_time: r.atMs * 1000,
        source_service: r.source,
        destination_cluster: r.destination,
        upstream_endpoint: r.endpoint,
        route: 'r',
        method: 'GET',
        authority: r.destination,
        path: `/${i}`,
        status: r.status,
        response_flags: r.status === 0 ? 'DC' : '',
        duration_us: r.durationMs * 1000,
        upstream_duration_us: 0,
        request_bytes: 0,
        response_bytes: 0,
        request_id: `req-${i}`,
        node_id: `${r.source}-envoy`,
        model: '',
        prompt_tokens: 0,
        completion_tokens: 0,
      })),
    );
  });

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds nodes, edges and endpoints with plain RED over each horizon ending at T', async () => {
    const g = await graphAt(store, T, '1h');
    expect(g.nodes().sort()).toEqual(
      [
        'catalog',
        'catalog/10.0.0.1:8080',
        'catalog/10.0.0.2:8080',
        'db',
        'frontend',
        'frontend/10.0.9.9:3000',
        'ingress',
      ].sort(),
    );
    expect(g.edges().sort()).toEqual(
      [
        'catalog→catalog/10.0.0.1:8080',
        'catalog→catalog/10.0.0.2:8080',
        'catalog→db',
        'frontend→catalog',
        'frontend→frontend/10.0.9.9:3000',
        'ingress→frontend',
      ].sort(),
    );
    expect(g.getNodeAttributes('ingress')).toMatchObject({ kind: 'ingress' });
    expect(g.getNodeAttributes('catalog')).toMatchObject({ kind: 'service' });
    expect(g.getNodeAttributes('db')).toMatchObject({ kind: 'virtual', health: 'unknown' });
    expect(g.getNodeAttributes('catalog/10.0.0.2:8080')).toMatchObject({
      kind: 'endpoint',
      service: 'catalog',
      endpoint: '10.0.0.2:8080',
    });
    expect(g.getEdgeAttribute('catalog→catalog/10.0.0.1:8080', 'kind')).toBe('hosts');
    expect(g.getEdgeAttribute('frontend→catalog', 'lastSeenMs')).toBe(T);

    const cases: Array<[string, (r: Req) => boolean]> = [
      ['frontend→catalog', (r) => r.source === 'frontend' && r.destination === 'catalog'],
      ['catalog→catalog/10.0.0.2:8080', (r) => r.endpoint === '10.0.0.2:8080'],
      ['ingress→frontend', (r) => r.source === 'ingress'],
    ];
    for (const [key, match] of cases) {
      for (const h of ['1m', '5m', '1h'] as const) {
        const actual = g.getEdgeAttribute(key, 'stats')[h];
        const want = expected(T, h, match);
        expect({ key, h, requests: actual.requests }).toEqual({ key, h, requests: want.requests });
        expect(actual.rate).toBeCloseTo(want.rate, 9);
        expect(actual.errorRate).toBeCloseTo(want.errorRate, 9);
        for (const q of ['p50', 'p90', 'p99', 'p999'] as const) {
          expect(Math.abs(actual[q] - want[q])).toBeLessThanOrEqual(want[q] * 0.01);
        }
      }
    }
    // Health at T: ingress → frontend all 5xx; catalog 13 of 121 failed (5xx and no response); the endpoints split them.
    expect(g.getNodeAttribute('frontend', 'health')).toBe('failing');
    expect(g.getNodeAttribute('catalog', 'health')).toBe('degraded');
    expect(g.getNodeAttribute('catalog/10.0.0.1:8080', 'health')).toBe('healthy');
    expect(g.getNodeAttribute('catalog/10.0.0.2:8080', 'health')).toBe('degraded');
  });

  it('keeps only edges with traffic inside the horizon, and reads earlier times', async () => {
    const recent = await graphAt(store, T, '5m');
    expect(recent.hasEdge('catalog→db')).toBe(false);
    expect(recent.hasNode('db')).toBe(false);
    // catalog sent logs within the hour, so it stays a service in the 5-minute graph.
    expect(recent.getNodeAttribute('catalog', 'kind')).toBe('service');

    const earlier = await graphAt(store, T - 28 * 60_000, '5m');
    // Before T − 5 m each window had one request, always on 10.0.0.1.
    expect(earlier.edges().sort()).toEqual(
      ['catalog→catalog/10.0.0.1:8080', 'catalog→db', 'frontend→catalog'].sort(),
    );
    const db = earlier.getEdgeAttribute('catalog→db', 'stats');
    expect(db['5m'].requests).toBe(10);
    expect(db['1m']).toMatchObject({ requests: 0, rate: 0, errorRate: 0 });
    expect(db['1m'].p99).toBeNaN();
    expect(Math.abs(db['5m'].p99 - 30)).toBeLessThanOrEqual(0.3);
    expect(earlier.getEdgeAttribute('catalog→db', 'lastSeenMs')).toBe(T - 31 * 60_000 + 10_000);
  });

  it('refuses a bad time or horizon, naming the value', async () => {
    await expect(graphAt(store, Number.NaN)).rejects.toThrow(
      'graphAt: tMs must be a time in ms since the epoch, got NaN',
    );
    await expect(graphAt(store, T, '2h' as Horizon)).rejects.toThrow(
      "graphAt: horizon must be one of 1m, 5m, 1h, got '2h'",
    );
  });
});
