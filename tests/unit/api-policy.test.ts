import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../api/app.ts';
import { policyApiPlugin } from '../../api/policy/plugin.ts';
import { createLogger } from '../../lib/log.ts';
import { GraphFold } from '../../stream-jobs/graph/fold.ts';
import type {
  ClusterOverride,
  ManagedCluster,
  OverrideResult,
  PolicyControl,
} from '../../stream-jobs/policy/control.ts';
import type { Decision, EndpointDecision } from '../../stream-jobs/policy/types.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const token = 'policy-token';
const auth = { authorization: `Bearer ${token}` };
const log = createLogger('test', { level: 'silent' });

function endpoint(name: string, weight: number, previousWeight: number): EndpointDecision {
  return {
    endpoint: name,
    weight,
    previousWeight,
    reason: weight < previousWeight ? 'ejected' : 'adaptive',
    inputs: { requests: 50, errorRate: 0.01, latencyMs: 12, dependencyHealth: 1, relativeCost: 1 },
  };
}

const webDecision = (decidedAtMs: number): Decision => ({
  cluster: 'web',
  decidedAtMs,
  dataUpToMs: decidedAtMs - 1000,
  reason: 'adaptive',
  dryRun: false,
  endpoints: [endpoint('10.0.0.1:80', 100, 90), endpoint('10.0.0.2:80', 0, 40)],
});
/** As JSON: Decision holds no Map, so the value itself is the expected body. */
const latest = webDecision(T0);
/** A cluster no longer in the mesh config, its last decision made before any traffic. */
const cold: Decision = {
  cluster: 'cold',
  decidedAtMs: T0,
  dataUpToMs: 0,
  reason: 'stale',
  dryRun: true,
  endpoints: [
    {
      ...endpoint('10.0.9.1:80', 10, 10),
      reason: 'stale',
      inputs: {
        requests: 0,
        errorRate: Number.NaN,
        latencyMs: Number.NaN,
        dependencyHealth: 1,
        relativeCost: Number.POSITIVE_INFINITY,
      },
    },
  ],
};
const coldJson = {
  ...cold,
  endpoints: [
    {
      ...cold.endpoints[0],
      inputs: {
        requests: 0,
        errorRate: null,
        latencyMs: null,
        dependencyHealth: 1,
        relativeCost: null,
      },
    },
  ],
};

/**
 * An in-memory PolicyControl with the refusals the real one makes (control.ts): `web` and
 * `idle` are adaptive (`idle` has no decision yet), `legacy` is static, the rest unknown.
 */
class FakeControl implements PolicyControl {
  readonly overrides = new Map<string, ClusterOverride>();
  readonly historyCalls: Array<{ cluster: string; query: { sinceMs?: number; limit: number } }> =
    [];
  readonly staticWeights = new Map([
    [
      'web',
      new Map([
        ['10.0.0.1:80', 100],
        ['10.0.0.2:80', 100],
      ]),
    ],
    ['idle', new Map([['10.0.1.1:80', 50]])],
  ]);

  current(): readonly Decision[] {
    return [latest, cold];
  }

  clusters(): readonly ManagedCluster[] {
    return [...this.staticWeights].map(([cluster, staticWeights]) => {
      const override = this.overrides.get(cluster) ?? { mode: 'active', pins: new Map() };
      return { cluster, ...override, staticWeights };
    });
  }

  async history(cluster: string, query: { sinceMs?: number; limit: number }) {
    this.historyCalls.push({ cluster, query });
    return [webDecision(T0), webDecision(T0 - 5000)].slice(0, query.limit);
  }

  setOverride(cluster: string, override: ClusterOverride): OverrideResult {
    const configured = this.staticWeights.get(cluster);
    if (cluster === 'legacy') return refuse('not-adaptive', 'cluster "legacy" has policy static');
    if (!configured) return refuse('unknown-cluster', `unknown cluster ${JSON.stringify(cluster)}`);
    for (const name of override.pins.keys()) {
      if (!configured.has(name)) return refuse('unknown-endpoint', `unknown endpoint "${name}"`);
    }
    const pins = [...override.pins.values()];
    if (pins.length === configured.size && pins.every((weight) => weight === 0)) {
      return refuse('bad-weight', 'every endpoint of "web" pinned to 0');
    }
    this.overrides.set(cluster, override);
    const [changed] = this.clusters().filter((c) => c.cluster === cluster);
    return changed ? { ok: true, cluster: changed } : refuse('unknown-cluster', cluster);
  }

  clearOverride(cluster: string): OverrideResult {
    return this.setOverride(cluster, { mode: 'active', pins: new Map() });
  }
}

function refuse(code: Extract<OverrideResult, { ok: false }>['code'], message: string) {
  return { ok: false, code, message } as const;
}

const app = (control: PolicyControl, options: { token?: string; explain?: boolean } = {}) =>
  createApiApp({
    fold: new GraphFold({ lagMs: 0 }),
    log,
    token: options.token,
    extraPlugins: [
      policyApiPlugin(
        control,
        options.explain ? { explain: (d) => [`${d.cluster} explained`] } : {},
      ),
    ],
  });

let control: FakeControl;
let api: FastifyInstance;
beforeAll(async () => {
  control = new FakeControl();
  api = await app(control, { token });
});
afterAll(() => api.close());

const get = (url: string) => api.inject({ url });
const error = (code: string, message: string) => ({ error: { code, message } });

describe('GET /v1/decisions', () => {
  it('answers the latest decision of every cluster; non-finite inputs as null', async () => {
    const response = await get('/v1/decisions');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ decisions: [latest, coldJson] });
  });

  it("answers one cluster's latest decision", async () => {
    const response = await get('/v1/decisions/web');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(latest);
    expect((await get('/v1/decisions/cold')).json()).toEqual(coldJson);
  });

  it('refuses a cluster the policy does not manage, and one without a decision yet', async () => {
    const unknown = await get('/v1/decisions/nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual(
      error(
        'UNKNOWN_CLUSTER',
        'unknown cluster "nope"; clusters under the adaptive policy: "web", "idle"',
      ),
    );
    const idle = await get('/v1/decisions/idle');
    expect(idle.statusCode).toBe(404);
    expect(idle.json()).toEqual(
      error(
        'NO_DECISION',
        'cluster "idle" has no decision yet: its mode is off, or the policy has not run an ' +
          'interval for it since it started',
      ),
    );
  });
});

describe('GET /v1/decisions/:cluster/history', () => {
  it('answers newest first, 100 at most by default', async () => {
    control.historyCalls.length = 0;
    const response = await get('/v1/decisions/web/history');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ decisions: [webDecision(T0), webDecision(T0 - 5000)] });
    expect(control.historyCalls).toEqual([{ cluster: 'web', query: { limit: 100 } }]);
  });

  it('passes limit and since (ISO 8601 or ms) through to the control', async () => {
    control.historyCalls.length = 0;
    const iso = await get('/v1/decisions/web/history?limit=1&since=2026-01-01T11:00:00Z');
    expect(iso.json()).toEqual({ decisions: [webDecision(T0)] });
    await get(`/v1/decisions/idle/history?since=${T0}`);
    expect(control.historyCalls).toEqual([
      { cluster: 'web', query: { limit: 1, sinceMs: T0 - 3_600_000 } },
      { cluster: 'idle', query: { limit: 100, sinceMs: T0 } },
    ]);
  });

  it('refuses a bad limit or since, an unknown key and an unknown cluster', async () => {
    control.historyCalls.length = 0;
    const cases: Array<[string, number, ReturnType<typeof error>]> = [
      ['limit=0', 400, error('BAD_REQUEST', 'querystring/limit must be >= 1')],
      ['limit=1001', 400, error('BAD_REQUEST', 'querystring/limit must be <= 1000')],
      ['limit=ten', 400, error('BAD_REQUEST', 'querystring/limit must be integer')],
      [
        'since=yesterday',
        400,
        error(
          'BAD_REQUEST',
          'querystring/since must be an ISO 8601 time or ms since the epoch, got "yesterday"',
        ),
      ],
      ['until=1', 400, error('BAD_REQUEST', 'querystring must NOT have additional properties')],
    ];
    for (const [queryString, status, body] of cases) {
      const response = await get(`/v1/decisions/web/history?${queryString}`);
      expect([response.statusCode, response.json()], queryString).toEqual([status, body]);
    }
    const unknown = await get('/v1/decisions/legacy/history');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('UNKNOWN_CLUSTER');
    expect(control.historyCalls).toEqual([]);
  });
});

describe('GET /v1/decisions/:cluster/explain', () => {
  it('explains each endpoint in a line by default', async () => {
    const response = await get('/v1/decisions/web/explain');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      cluster: 'web',
      decidedAtMs: T0,
      reason: 'adaptive',
      lines: [
        '10.0.0.1:80: weight 100 (was 90), adaptive',
        '10.0.0.2:80: weight 0 (was 40), ejected',
      ],
      endpoints: latest.endpoints,
    });
  });

  it('uses the injected explainer, and refuses what GET /v1/decisions/:cluster refuses', async () => {
    const other = await app(new FakeControl(), { explain: true });
    try {
      const response = await other.inject({ url: '/v1/decisions/cold/explain' });
      expect(response.json()).toEqual({
        cluster: 'cold',
        decidedAtMs: T0,
        reason: 'stale',
        lines: ['cold explained'],
        endpoints: coldJson.endpoints,
      });
      const idle = await other.inject({ url: '/v1/decisions/idle/explain' });
      expect([idle.statusCode, idle.json().error.code]).toEqual([404, 'NO_DECISION']);
      const unknown = await other.inject({ url: '/v1/decisions/nope/explain' });
      expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'UNKNOWN_CLUSTER']);
    } finally {
      await other.close();
    }
  });
});

describe('/v1/policy/clusters', () => {
  const web = {
    cluster: 'web',
    mode: 'active',
    pins: {},
    staticWeights: { '10.0.0.1:80': 100, '10.0.0.2:80': 100 },
  };
  const idle = { cluster: 'idle', mode: 'active', pins: {}, staticWeights: { '10.0.1.1:80': 50 } };
  let fresh: FakeControl;
  let server: FastifyInstance;
  beforeAll(async () => {
    fresh = new FakeControl();
    server = await app(fresh, { token });
  });
  afterAll(() => server.close());

  const put = (cluster: string, payload: object, headers: Record<string, string> = auth) =>
    server.inject({ method: 'PUT', url: `/v1/policy/clusters/${cluster}`, headers, payload });
  const del = (cluster: string, headers: Record<string, string> = auth) =>
    server.inject({ method: 'DELETE', url: `/v1/policy/clusters/${cluster}`, headers });
  const clusters = async () => (await server.inject({ url: '/v1/policy/clusters' })).json();

  it('lists the managed clusters with mode, pins and configured weights', async () => {
    const response = await server.inject({ url: '/v1/policy/clusters' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ clusters: [web, idle] });
  });

  it('replaces an override with the token: the pins reach the control', async () => {
    const pinned = await put('web', { mode: 'dry-run', pins: { '10.0.0.2:80': 0 } });
    const expected = { ...web, mode: 'dry-run', pins: { '10.0.0.2:80': 0 } };
    expect(pinned.statusCode).toBe(200);
    expect(pinned.json()).toEqual(expected);
    expect(fresh.overrides.get('web')).toEqual({
      mode: 'dry-run',
      pins: new Map([['10.0.0.2:80', 0]]),
    });
    expect(await clusters()).toEqual({ clusters: [expected, idle] });

    // The whole override is replaced: no mode means active, no pins means none.
    const replaced = await put('web', { pins: { '10.0.0.1:80': 128 } });
    expect(replaced.json()).toEqual({ ...web, pins: { '10.0.0.1:80': 128 } });
    const off = await put('idle', { mode: 'off' });
    expect(off.json()).toEqual({ ...idle, mode: 'off' });
    expect(fresh.overrides.get('idle')).toEqual({ mode: 'off', pins: new Map() });
  });

  it('clears an override with the token: back to active without pins', async () => {
    await put('web', { mode: 'off', pins: { '10.0.0.1:80': 3 } });
    const cleared = await del('web');
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toEqual(web);
    expect(fresh.overrides.get('web')).toEqual({ mode: 'active', pins: new Map() });
  });

  it('refuses a change without the right token, before looking at the body', async () => {
    fresh.overrides.clear();
    const missing = error('UNAUTHORIZED', 'missing header Authorization: Bearer <token>');
    const wrong = error('UNAUTHORIZED', 'wrong bearer token');
    const cases: Array<[string, Awaited<ReturnType<typeof put>>, ReturnType<typeof error>]> = [
      ['PUT, no header', await put('web', { pins: { '10.0.0.1:80': 1 } }, {}), missing],
      ['PUT, bad body', await put('web', { wat: 1 }, {}), missing],
      ['PUT, wrong token', await put('web', {}, { authorization: 'Bearer nope' }), wrong],
      ['DELETE, no header', await del('web', {}), missing],
      ['DELETE, not bearer', await del('web', { authorization: token }), missing],
    ];
    for (const [name, response, body] of cases) {
      expect([response.statusCode, response.json()], name).toEqual([401, body]);
    }
    expect(fresh.overrides.size).toBe(0);
  });

  it('refuses every change when the server has no token', async () => {
    const open = await app(new FakeControl());
    try {
      const response = await open.inject({
        method: 'PUT',
        url: '/v1/policy/clusters/web',
        headers: auth,
        payload: {},
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(
        error(
          'UNAUTHORIZED',
          'this server has no admin token configured (--token / MESHGRAPH_TOKEN); mutations are disabled',
        ),
      );
      const listed = await open.inject({ url: '/v1/policy/clusters' });
      expect(listed.statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("maps the control's refusals to stable codes, its message kept", async () => {
    const cases: Array<
      [string, Awaited<ReturnType<typeof put>>, number, ReturnType<typeof error>]
    > = [
      ['unknown', await put('nope', {}), 404, error('UNKNOWN_CLUSTER', 'unknown cluster "nope"')],
      [
        'static',
        await put('legacy', {}),
        422,
        error('STATIC_CLUSTER', 'cluster "legacy" has policy static'),
      ],
      [
        'endpoint',
        await put('web', { pins: { '10.9.9.9:80': 1 } }),
        422,
        error('UNKNOWN_ENDPOINT', 'unknown endpoint "10.9.9.9:80"'),
      ],
      [
        'all zero',
        await put('web', { pins: { '10.0.0.1:80': 0, '10.0.0.2:80': 0 } }),
        400,
        error('BAD_WEIGHT', 'every endpoint of "web" pinned to 0'),
      ],
      [
        'clear static',
        await del('legacy'),
        422,
        error('STATIC_CLUSTER', 'cluster "legacy" has policy static'),
      ],
      ['clear unknown', await del('nope'), 404, error('UNKNOWN_CLUSTER', 'unknown cluster "nope"')],
    ];
    for (const [name, response, status, body] of cases) {
      expect([response.statusCode, response.json()], name).toEqual([status, body]);
    }
  });

  it('refuses a bad weight, mode or key before the control sees it', async () => {
    fresh.overrides.clear();
    const badWeight = (got: string) =>
      error(
        'BAD_WEIGHT',
        `pinned weight of endpoint "10.0.0.1:80" in cluster "web" must be an integer from 0 to 128, got ${got}`,
      );
    const cases: Array<[object, ReturnType<typeof error>]> = [
      [{ pins: { '10.0.0.1:80': 129 } }, badWeight('129')],
      [{ pins: { '10.0.0.1:80': -1 } }, badWeight('-1')],
      [{ pins: { '10.0.0.1:80': 1.5 } }, badWeight('1.5')],
      [
        { pins: { '10.0.0.1:80': 'x' } },
        error('BAD_REQUEST', 'body/pins/10.0.0.1:80 must be number'),
      ],
      [
        { mode: 'paused' },
        error('BAD_REQUEST', 'body/mode must be equal to one of the allowed values'),
      ],
      [{ weights: {} }, error('BAD_REQUEST', 'body must NOT have additional properties')],
    ];
    for (const [payload, body] of cases) {
      const response = await put('web', payload);
      expect([response.statusCode, response.json()], JSON.stringify(payload)).toEqual([400, body]);
    }
    expect(fresh.overrides.size).toBe(0);
  });
});

describe('GET /openapi.json', () => {
  it('documents every policy route with its parameters, body and answers', async () => {
    const doc = (await get('/openapi.json')).json();
    const policyPaths = Object.keys(doc.paths).filter((path) =>
      /^\/v1\/(decisions|policy)/.test(path),
    );
    expect(policyPaths.sort()).toEqual([
      '/v1/decisions',
      '/v1/decisions/{cluster}',
      '/v1/decisions/{cluster}/explain',
      '/v1/decisions/{cluster}/history',
      '/v1/policy/clusters',
      '/v1/policy/clusters/{cluster}',
    ]);
    const history = doc.paths['/v1/decisions/{cluster}/history'].get;
    expect(
      history.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
    ).toEqual(['query:limit', 'query:since', 'path:cluster']);
    expect(Object.keys(history.responses)).toEqual(['200', '400', '404']);
    const cluster = doc.paths['/v1/policy/clusters/{cluster}'];
    expect(Object.keys(cluster).sort()).toEqual(['delete', 'put']);
    const body = cluster.put.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(['mode', 'pins']);
    expect(Object.keys(cluster.put.responses)).toEqual(['200', '400', '401', '404', '422']);
    for (const path of policyPaths) {
      for (const [method, operation] of Object.entries<{ tags: string[] }>(doc.paths[path])) {
        expect(operation.tags, `${method} ${path}`).toEqual(['policy']);
      }
    }
  });
});
