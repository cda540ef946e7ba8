import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../api/app.ts';
import { dashboardsPlugin } from '../../api/dashboards/plugin.ts';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createHttpApp } from '../../lib/http/app.ts';
import { createLogger } from '../../lib/log.ts';
import { GraphFold } from '../../stream-jobs/graph/fold.ts';
import { sampleRequests, seedAccessLog } from '../browser/support/access-log.ts';

const log = createLogger('test', { level: 'silent' });
const requests = sampleRequests();
let dir: string;
let store: ClickHouseStore;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-api-dashboards-'));
  store = await openStore(`chdb://${dir}/data`, log);
  await seedAccessLog(store, log, requests);
  app = await createApiApp({ fold: new GraphFold(), log, store });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string) => {
  const response = await app.inject({ url });
  return { status: response.statusCode, body: response.json() };
};

describe('GET /v1/dashboards', () => {
  it('lists every dashboard with its parameters and defaults, without the SQL', async () => {
    const { status, body } = await get('/v1/dashboards');
    expect(status).toBe(200);
    expect(body.dashboards.map((d: { name: string }) => d.name)).toEqual([
      'endpoint-latency',
      'response-flags',
      'slowest-routes',
      'status-mix',
      'top-edges',
    ]);
    const top = body.dashboards[4];
    expect(top).toMatchObject({ title: 'Top edges' });
    expect(top.params).toEqual([
      { name: 'window', type: 'UInt32', default: '300', description: 'seconds back from now()' },
      {
        name: 'sort',
        type: 'String',
        default: 'rate',
        description: 'order by: rate, error_rate or p99',
      },
      { name: 'limit', type: 'UInt32', default: '20', description: 'edges shown' },
    ]);
    expect(top.sql).toBeUndefined();
  });
});

describe('GET /v1/dashboards/:name', () => {
  it('runs a dashboard with its defaults: rows as ClickHouse answers them', async () => {
    const { status, body } = await get('/v1/dashboards/top-edges');
    expect(status).toBe(200);
    expect(body.params).toEqual({ window: '300', sort: 'rate', limit: '20' });
    expect(body.columns).toEqual([
      'source',
      'destination',
      'requests',
      'rps',
      'error_rate',
      'p50_ms',
      'p99_ms',
    ]);
    expect(
      body.rows.map((r: Record<string, unknown>) => [
        r.source,
        r.destination,
        r.requests,
        r.error_rate,
      ]),
    ).toEqual([
      ['frontend', 'catalog', '60', 0.1],
      ['catalog', 'db', '30', 0.1],
    ]);
  });

  it('binds the querystring as parameter values, never as SQL', async () => {
    const one = await get('/v1/dashboards/top-edges?limit=1&sort=error_rate');
    expect(one.body.rows).toHaveLength(1);
    const catalog = await get('/v1/dashboards/endpoint-latency?cluster=catalog&step=3600');
    expect(new Set(catalog.body.rows.map((r: { endpoint: string }) => r.endpoint))).toEqual(
      new Set(['10.0.1.1:8080', '10.0.1.2:8080']),
    );
    const injected = await get(
      `/v1/dashboards/endpoint-latency?cluster=${encodeURIComponent("' OR 1=1 --")}`,
    );
    expect(injected).toEqual({ status: 200, body: expect.objectContaining({ rows: [] }) });
  });

  it('answers 404 UNKNOWN_DASHBOARD for a name it does not have, naming those it has', async () => {
    const { status, body } = await get('/v1/dashboards/top-edge');
    expect(status).toBe(404);
    expect(body.error.code).toBe('UNKNOWN_DASHBOARD');
    expect(body.error.message).toContain('known: endpoint-latency, response-flags');
  });

  it.each([
    [
      'windw=60',
      /querystring\/windw: dashboard 'top-edges' has no such parameter; its parameters: window, sort, limit/,
    ],
    [
      'window=soon',
      /querystring\/window must be an integer in 0..4294967295 \(UInt32\), got "soon"/,
    ],
    ['window=-1', /querystring\/window must be an integer/],
    ['limit=4294967296', /querystring\/limit must be an integer/],
    ['sort=bogus', /ClickHouse refused the parameters: .*sort must be rate, error_rate or p99/],
  ])('answers 400 BAD_REQUEST for %s', async (query, message) => {
    const { status, body } = await get(`/v1/dashboards/top-edges?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(message);
    expect(body.error.message).not.toContain('SELECT');
  });
});

describe('GET /v1/series', () => {
  const totals = async (query: string) => {
    const { status, body } = await get(`/v1/series?${query}&window=600&step=60`);
    expect(status).toBe(200);
    const points = body.points as Array<{
      requests: number;
      errorRate: number | null;
      p99: number | null;
    }>;
    const sum = points.reduce((s, p) => s + p.requests, 0);
    const errors = points.reduce((s, p) => s + (p.errorRate ?? 0) * p.requests, 0);
    return { sum, errors: Math.round(errors), p99: points.map((p) => p.p99) };
  };

  it('sums a node, an endpoint and an edge from the rollups', async () => {
    expect(await totals('node=catalog')).toMatchObject({ sum: 60, errors: 6 });
    expect(await totals(`node=${encodeURIComponent('catalog/10.0.1.2:8080')}`)).toMatchObject({
      sum: 30,
      errors: 6,
    });
    expect(await totals(`edge=${encodeURIComponent('frontend→catalog')}`)).toMatchObject({
      sum: 60,
      errors: 6,
    });
    expect(
      await totals(`edge=${encodeURIComponent('catalog->catalog/10.0.1.1:8080')}`),
    ).toMatchObject({ sum: 30, errors: 0 });
    const db = await totals('node=db');
    expect(db).toMatchObject({ sum: 30, errors: 3 });
    for (const p99 of db.p99) expect(p99).toBeCloseTo(5, 0);
    expect(await totals('node=nobody')).toMatchObject({ sum: 0 });
  });

  it('needs exactly one of node and edge, and a sane number of buckets', async () => {
    expect((await get('/v1/series')).status).toBe(400);
    expect((await get('/v1/series?node=a&edge=a->b')).status).toBe(400);
    const fine = await get('/v1/series?node=a&window=86400&step=10');
    expect(fine.body.error.message).toBe('querystring/step: window / step must be at most 2000');
  });
});

describe('the dashboards without ClickHouse', () => {
  it('lists them, and refuses to run one with 400 CLICKHOUSE_UNAVAILABLE', async () => {
    const bare = createHttpApp(log);
    await bare.register(dashboardsPlugin, {});
    try {
      expect((await bare.inject({ url: '/v1/dashboards' })).json().dashboards).toHaveLength(5);
      for (const url of ['/v1/dashboards/top-edges', '/v1/series?node=catalog']) {
        const response = await bare.inject({ url });
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toBe('CLICKHOUSE_UNAVAILABLE');
      }
    } finally {
      await bare.close();
    }
  });

  it('is not served by an API app without a store, and documented by one with it', async () => {
    const without = await createApiApp({ fold: new GraphFold(), log });
    try {
      expect((await without.inject({ url: '/v1/dashboards' })).statusCode).toBe(404);
    } finally {
      await without.close();
    }
    const paths = Object.keys((await get('/openapi.json')).body.paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/v1/dashboards', '/v1/dashboards/{name}', '/v1/series']),
    );
    expect(paths.filter((p) => p.startsWith('/ui'))).toEqual([]);
  });
});
