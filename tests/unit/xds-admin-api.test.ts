import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { createXdsAdminApp } from '../../xds-server/admin/app.ts';
import { SyncStatus } from '../../xds-server/ads/sync-status.ts';
import { audienceOf, ControlPlane } from '../../xds-server/control-plane.ts';
import { parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';
import { SnapshotCache } from '../../xds-server/snapshot/cache.ts';

const yaml = `listeners:
  - name: ingress
    port: 10000
    routes:
      - name: checkout
        match: { prefix: /checkout }
        split: [{ cluster: v1, weight: 90 }, { cluster: v2, weight: 10 }]
      - name: main
        cluster: web
clusters:
  - name: web
    policy: adaptive
    endpoints: ["10.0.0.1:80", "10.0.0.2:80"]
  - name: v1
    endpoints: ["10.0.1.1:80"]
  - name: v2
    endpoints: ["10.0.2.1:80"]
`;

const token = 'secret-token';
const auth = { authorization: `Bearer ${token}` };
const log = createLogger('test', { level: 'silent' });

describe('xds-server admin API', () => {
  let app: FastifyInstance;
  let controlPlane: ControlPlane;

  beforeEach(async () => {
    controlPlane = new ControlPlane({ cache: new SnapshotCache({ groupOf: audienceOf }), log });
    app = await createXdsAdminApp({
      controlPlane,
      syncStatus: new SyncStatus(),
      metrics: new Registry(),
      token,
      log,
    });
  });
  afterEach(() => app.close());

  const load = () => {
    const parsed = parseMeshConfig(yaml, 'mesh.yaml');
    if (!parsed.ok) throw new Error('fixture config is invalid');
    controlPlane.setConfig(parsed.config);
  };

  it('is live at once and ready only once a config is served', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const before = await app.inject({ url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({
      error: { code: 'NOT_READY', message: 'no mesh config served yet' },
    });
    load();
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('sets endpoint weights with the token and shows them in /v1/routing', async () => {
    load();
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/clusters/web/weights',
      headers: auth,
      payload: { weights: { '10.0.0.1:80': 80, '10.0.0.2:80': 20 } },
    });
    const expected = {
      endpointWeights: { web: { '10.0.0.1:80': 80, '10.0.0.2:80': 20 } },
      routeSplits: {},
    };
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual(expected);
    expect((await app.inject({ url: '/v1/routing' })).json()).toEqual(expected);
    const cleared = await app.inject({
      method: 'DELETE',
      url: '/v1/clusters/web/weights',
      headers: auth,
    });
    expect(cleared.json()).toEqual({ endpointWeights: {}, routeSplits: {} });
  });

  it('sets a route split', async () => {
    load();
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/routes/checkout/split',
      headers: auth,
      payload: { weights: { v1: 50, v2: 50 } },
    });
    expect(put.json()).toEqual({
      endpointWeights: {},
      routeSplits: { checkout: { v1: 50, v2: 50 } },
    });
  });

  it.each([
    ['no token', {}, 'missing header Authorization: Bearer <token>'],
    ['a wrong token', { authorization: 'Bearer nope' }, 'wrong bearer token'],
  ])('refuses a mutation with %s: 401 UNAUTHORIZED', async (_case, headers, message) => {
    load();
    const response = await app.inject({
      method: 'PUT',
      url: '/v1/clusters/web/weights',
      headers,
      payload: { weights: { '10.0.0.1:80': 1 } },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message } });
    expect(controlPlane.current().endpointWeights.size).toBe(0);
  });

  it('refuses every mutation when no token is configured', async () => {
    const open = await createXdsAdminApp({
      controlPlane,
      syncStatus: new SyncStatus(),
      metrics: new Registry(),
      token: undefined,
      log,
    });
    const response = await open.inject({
      method: 'DELETE',
      url: '/v1/clusters/web/weights',
      headers: auth,
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('UNAUTHORIZED');
    await open.close();
  });

  it.each([
    [
      'an unknown cluster',
      '/v1/clusters/nope/weights',
      { weights: { '10.0.0.1:80': 1 } },
      404,
      {
        code: 'UNKNOWN_CLUSTER',
        message: 'unknown cluster "nope"; known clusters: "web", "v1", "v2"',
      },
    ],
    [
      'an unknown endpoint',
      '/v1/clusters/web/weights',
      { weights: { '10.9.9.9:80': 1 } },
      422,
      {
        code: 'UNKNOWN_ENDPOINT',
        message:
          'unknown endpoint "10.9.9.9:80" in cluster "web"; configured endpoints: "10.0.0.1:80", "10.0.0.2:80"',
      },
    ],
    [
      'every endpoint ejected',
      '/v1/clusters/web/weights',
      { weights: { '10.0.0.1:80': 0, '10.0.0.2:80': 0 } },
      422,
      {
        code: 'ALL_EJECTED',
        message:
          'cluster "web": every endpoint would have weight 0; at least one must keep a weight above 0',
      },
    ],
    [
      'a static cluster',
      '/v1/clusters/v1/weights',
      { weights: { '10.0.1.1:80': 3 } },
      422,
      {
        code: 'STATIC_CLUSTER',
        message:
          'cluster "v1" has policy static: its endpoint weights come from the mesh config only',
      },
    ],
    [
      'a weight above 128',
      '/v1/clusters/web/weights',
      { weights: { '10.0.0.1:80': 200 } },
      400,
      { code: 'BAD_REQUEST', message: 'body/weights/10.0.0.1:80 must be <= 128' },
    ],
    [
      'an unknown body key',
      '/v1/clusters/web/weights',
      { weights: { '10.0.0.1:80': 1 }, extra: true },
      400,
      { code: 'BAD_REQUEST', message: 'body must NOT have additional properties' },
    ],
  ])('answers %s with a stable error code', async (_case, url, payload, status, error) => {
    load();
    const response = await app.inject({ method: 'PUT', url, headers: auth, payload });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error });
  });

  it('answers NOT_READY before a config is loaded and NOT_FOUND for unknown routes', async () => {
    const early = await app.inject({
      method: 'PUT',
      url: '/v1/clusters/web/weights',
      headers: auth,
      payload: { weights: { '10.0.0.1:80': 1 } },
    });
    expect(early.statusCode).toBe(503);
    expect(early.json()).toEqual({
      error: { code: 'NOT_READY', message: 'no mesh config loaded yet' },
    });
    const missing = await app.inject({ url: '/v2/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route GET /v2/nothing' },
    });
  });

  it('serves sync status and Prometheus metrics', async () => {
    load();
    expect((await app.inject({ url: '/v1/sync-status' })).json()).toEqual({ nodes: [] });
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
  });
});
