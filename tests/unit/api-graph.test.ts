import { readFileSync } from 'node:fs';
import { DDSketch } from '@datadog/sketches-js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiApp } from '../../api/app.ts';
import { analyse, type LiveGraph } from '../../api/graph/source.ts';
import { ApiError } from '../../lib/http/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import {
  blastRadius,
  bottlenecks,
  centrality,
  communities,
  criticalPath,
  dependencies,
  GraphAnalysisError,
  rootCause,
  singlePointsOfFailure,
} from '../../stream-jobs/graph/analyses/index.ts';
import { GraphFold } from '../../stream-jobs/graph/fold.ts';
import {
  createServiceGraph,
  type Horizon,
  type RedStats,
  type ServiceGraph,
} from '../../stream-jobs/graph/model.ts';
import { type RedStatsView, snapshotOf } from '../../stream-jobs/graph/snapshot.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const W = 10_000;
const NOW = T0 + 6 * W;
const log = createLogger('test', { level: 'silent' });

/** One 10-s EdgeStats window through protobuf, latencies in a DDSketch (µs) as the rollup sends. */
function win(source: string, destination: string, startMs: number, spec: WindowSpec): EdgeStats {
  const { ok, errors = 0, ms = 10, endpoint = '' } = spec;
  const sketch = new DDSketch();
  for (let i = 0; i < ok + errors; i++) sketch.accept(ms * 1000);
  const message = EdgeStats.fromPartial({
    sourceService: source,
    destinationCluster: destination,
    upstreamEndpoint: endpoint,
    windowStartMs: startMs,
    windowSeconds: 10,
    requests: ok + errors,
    status2xx: ok,
    status5xx: errors,
    latencySketch: Buffer.from(sketch.toProto()),
  });
  return EdgeStats.decode(EdgeStats.encode(message).finish());
}

interface WindowSpec {
  ok: number;
  errors?: number;
  ms?: number;
  endpoint?: string;
}

// ingress ─10/s─► web ─6─► catalog ─3─► db ─5─► db/10.0.0.1:5432     catalog ─9─► cache
//                     ─3─► cart    ─2─► db (20% errors, 30 ms)        catalog ─3,3─► 2 endpoints
// plus web → legacy, last seen 170 s before NOW: outside the 1 m horizon, inside 5 m.
function meshFold(): GraphFold {
  const fold = new GraphFold({ lagMs: 0 });
  fold.apply(win('web', 'legacy', T0 - 12 * W, { ok: 10 }));
  for (let k = 0; k < 6; k++) {
    const at = T0 + k * W;
    fold.apply(win('ingress', 'web', at, { ok: 100 }));
    fold.apply(win('web', 'catalog', at, { ok: 60, ms: 20 }));
    fold.apply(win('web', 'catalog', at, { ok: 30, ms: 20, endpoint: '10.0.1.1:8080' }));
    fold.apply(win('web', 'catalog', at, { ok: 30, ms: 20, endpoint: '10.0.1.2:8080' }));
    fold.apply(win('web', 'cart', at, { ok: 27, errors: 3 }));
    fold.apply(win('catalog', 'db', at, { ok: 30 }));
    fold.apply(win('cart', 'db', at, { ok: 16, errors: 4, ms: 30 }));
    fold.apply(win('catalog', 'db', at, { ok: 50, endpoint: '10.0.0.1:5432' }));
    fold.apply(win('catalog', 'cache', at, { ok: 90, ms: 2 }));
  }
  fold.advance(NOW);
  return fold;
}

const fold = meshFold();
const graph = fold.graph();
const history = vi.fn(async (tMs: number, _horizon: Horizon) => pastGraph(tMs));
let app: FastifyInstance;

beforeAll(async () => {
  app = await createApiApp({
    fold,
    log,
    now: () => NOW,
    history,
    capacityRps: () => ({ db: 10 }),
  });
});
afterAll(() => app.close());

const get = (url: string) => app.inject({ url });
const keys = (rows: Array<{ key: string }>) => rows.map((row) => row.key);
const everything = snapshotOf(graph, NOW);
const edgesByKey = new Map(everything.edges.map((edge) => [edge.key, edge]));

describe('GET /v1/graph', () => {
  it('answers the live graph of the last minute: every node and edge seen within it', async () => {
    const response = await get('/v1/graph');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ atMs: NOW, horizon: '1m', matched: 9, truncated: false });
    const live = everything.nodes.filter((node) => node.key !== 'legacy');
    expect(body.nodes).toEqual(expect.arrayContaining(live));
    expect(body.nodes).toHaveLength(9);
    const edges = everything.edges.filter((edge) => edge.key !== 'web→legacy');
    expect(body.edges).toEqual(expect.arrayContaining(JSON.parse(JSON.stringify(edges))));
    expect(body.edges).toHaveLength(edges.length);
    // Busiest first: catalog (6 in + 18 out req/s), then web (10 in + 9 out).
    expect(keys(body.nodes).slice(0, 2)).toEqual(['catalog', 'web']);
  });

  it('shows edges seen within a longer horizon', async () => {
    const body = (await get('/v1/graph?horizon=5m')).json();
    expect(keys(body.nodes)).toContain('legacy');
    expect(keys(body.edges)).toContain('web→legacy');
    expect(body.matched).toBe(10);
  });

  it('centres on a service: nearest first, then busiest, then by key', async () => {
    const body = (await get('/v1/graph?service=catalog&depth=1')).json();
    expect(keys(body.nodes)).toEqual([
      'catalog',
      'web',
      'db',
      'cache',
      'catalog/10.0.1.1:8080',
      'catalog/10.0.1.2:8080',
    ]);
    expect(keys(body.edges).sort()).toEqual(
      [
        'catalog→cache',
        'catalog→catalog/10.0.1.1:8080',
        'catalog→catalog/10.0.1.2:8080',
        'catalog→db',
        'web→catalog',
      ].sort(),
    );
    expect(body.edges[0]).toEqual(JSON.parse(JSON.stringify(edgesByKey.get(body.edges[0].key))));
  });

  it('takes depth 2 around a service by default, and depth 0 is the service alone', async () => {
    const two = (await get('/v1/graph?service=db')).json();
    expect(keys(two.nodes).sort()).toEqual(
      [
        'db',
        'catalog',
        'cart',
        'db/10.0.0.1:5432',
        'web',
        'cache',
        'catalog/10.0.1.1:8080',
        'catalog/10.0.1.2:8080',
      ].sort(),
    );
    const zero = (await get('/v1/graph?service=db&depth=0')).json();
    expect(zero).toMatchObject({ matched: 1, edges: [] });
    expect(keys(zero.nodes)).toEqual(['db']);
  });

  it('searches node keys case-insensitively, alone or within a centre', async () => {
    const body = (await get('/v1/graph?search=CA')).json();
    expect(keys(body.nodes).sort()).toEqual(
      ['cache', 'cart', 'catalog', 'catalog/10.0.1.1:8080', 'catalog/10.0.1.2:8080'].sort(),
    );
    expect(keys(body.edges).sort()).toEqual([
      'catalog→cache',
      'catalog→catalog/10.0.1.1:8080',
      'catalog→catalog/10.0.1.2:8080',
    ]);
    const centred = (await get('/v1/graph?service=catalog&depth=1&search=10.0.1')).json();
    expect(keys(centred.nodes)).toEqual([
      'catalog',
      'catalog/10.0.1.1:8080',
      'catalog/10.0.1.2:8080',
    ]);
  });

  it('cuts at limit, keeping the busiest nodes, and says so', async () => {
    const body = (await get('/v1/graph?limit=2')).json();
    expect(body).toMatchObject({ matched: 9, truncated: true });
    expect(keys(body.nodes)).toEqual(['catalog', 'web']);
    expect(keys(body.edges)).toEqual(['web→catalog']);
  });

  it('filters a 10,000-node graph before copying it', async () => {
    const big = await createApiApp({ fold: staticGraph(chainWithHub(10_000)), log });
    const started = performance.now();
    const body = (await big.inject({ url: '/v1/graph?limit=100' })).json();
    const elapsed = performance.now() - started;
    expect(body).toMatchObject({ matched: 10_001, truncated: true });
    expect(body.nodes).toHaveLength(100);
    expect(body.nodes[0].key).toBe('hub');
    const around = (await big.inject({ url: '/v1/graph?service=s05000&depth=1' })).json();
    expect(keys(around.nodes).sort()).toEqual(['hub', 's04999', 's05000', 's05001']);
    expect(elapsed).toBeLessThan(2000);
    await big.close();
  });

  it('reads the past from the history for at, over the asked horizon', async () => {
    history.mockClear();
    const at = '2026-01-01T11:00:00Z';
    const body = (await get(`/v1/graph?at=${at}&horizon=5m`)).json();
    expect(history).toHaveBeenCalledWith(Date.parse(at), '5m');
    expect(body).toMatchObject({ atMs: Date.parse(at), horizon: '5m', matched: 2 });
    expect(keys(body.edges)).toEqual(['old-a→old-b']);
  });
});

describe('GET /v1/graph/nodes/:node', () => {
  it("answers a node, its inbound stats as its callers see them, and every edge's stats", async () => {
    const body = (await get('/v1/graph/nodes/db')).json();
    expect(body.atMs).toBe(NOW);
    expect(body.node).toEqual({ key: 'db', kind: 'virtual', service: 'db', health: 'degraded' });
    expect(keys(body.inbound).sort()).toEqual(['cart→db', 'catalog→db']);
    expect(body.inbound[0]).toEqual(
      JSON.parse(JSON.stringify(edgesByKey.get(body.inbound[0].key))),
    );
    expect(keys(body.outbound)).toEqual(['db→db/10.0.0.1:5432']);
    // Rates add up; error rate and quantiles are means weighted by the callers' requests.
    const [catalog, cart] = ['catalog→db', 'cart→db'].map(
      (key) => edgesByKey.get(key)?.stats['1m'],
    );
    if (!catalog || !cart) throw new Error('fixture lacks the edges into db');
    const requests = catalog.requests + cart.requests;
    const mean = (f: (s: RedStatsView) => number) =>
      (f(catalog) * catalog.requests + f(cart) * cart.requests) / requests;
    const close = (value: number) => expect.closeTo(value, 9);
    expect(body.stats['1m']).toEqual({
      rate: close(catalog.rate + cart.rate),
      errorRate: close(mean((s) => s.errorRate)),
      p50: close(mean((s) => s.p50 ?? 0)),
      p90: close(mean((s) => s.p90 ?? 0)),
      p99: close(mean((s) => s.p99 ?? 0)),
      p999: close(mean((s) => s.p999 ?? 0)),
      requests: close(requests),
    });
    expect(body.stats['1m'].errorRate).toBeGreaterThan(0);
  });

  it('answers null, not 0, for the stats of a node nothing calls', async () => {
    const body = (await get('/v1/graph/nodes/ingress')).json();
    expect(body.inbound).toEqual([]);
    expect(keys(body.outbound)).toEqual(['ingress→web']);
    const none = { rate: 0, errorRate: null, p50: null, p90: null, p99: null, p999: null };
    expect(body.stats).toEqual({
      '1m': { ...none, requests: 0 },
      '5m': { ...none, requests: 0 },
      '1h': { ...none, requests: 0 },
    });
  });

  it('answers an endpoint by its encoded key', async () => {
    const body = (await get('/v1/graph/nodes/db%2F10.0.0.1%3A5432')).json();
    expect(body.node).toEqual({
      key: 'db/10.0.0.1:5432',
      kind: 'endpoint',
      service: 'db',
      endpoint: '10.0.0.1:5432',
      health: 'healthy',
    });
    expect(keys(body.inbound)).toEqual(['db→db/10.0.0.1:5432']);
    expect(body.outbound).toEqual([]);
  });
});

const json = (value: unknown) => JSON.parse(JSON.stringify(value));
const arrow = encodeURIComponent('→');

describe('GET /v1/analyses/*', () => {
  it.each<[string, (g: ServiceGraph) => unknown]>([
    ['blast-radius?node=db', (g) => blastRadius(g, { node: 'db' })],
    [
      `blast-radius?edge=catalog${arrow}db&horizon=1m`,
      (g) => blastRadius(g, { edge: { source: 'catalog', target: 'db' } }, { horizon: '1m' }),
    ],
    [
      'blast-radius?edge=catalog->db',
      (g) => blastRadius(g, { edge: { source: 'catalog', target: 'db' } }),
    ],
    [
      'dependencies?node=web&maxDepth=1&includeEndpoints=true',
      (g) => dependencies(g, { node: 'web' }, { maxDepth: 1, includeEndpoints: true }),
    ],
    [
      'critical-path?entrypoint=ingress&quantile=p90',
      (g) => criticalPath(g, { entrypoint: 'ingress' }, { quantile: 'p90' }),
    ],
    ['bottlenecks', (g) => bottlenecks(g, {}, { capacityRps: { db: 10 } })],
    [
      'bottlenecks?by=saturation&limit=3',
      (g) => bottlenecks(g, { by: 'saturation' }, { limit: 3, capacityRps: { db: 10 } }),
    ],
    [
      'bottlenecks?by=betweenness-latency',
      (g) => bottlenecks(g, { by: 'betweenness-latency' }, { capacityRps: { db: 10 } }),
    ],
    ['spof', (g) => singlePointsOfFailure(g)],
    ['centrality?horizon=1m', (g) => centrality(g, {}, { horizon: '1m' })],
    ['communities?weighted=false', (g) => communities(g, {}, { weighted: false })],
    ['root-cause?symptom=web&limit=3', (g) => rootCause(g, { symptom: 'web' }, { limit: 3 })],
  ])('%s answers what the analysis gives for the live graph', async (path, analysis) => {
    const response = await get(`/v1/analyses/${path}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(json(analysis(graph)));
  });

  it('runs on the history for at: the graph of the hour before that time', async () => {
    history.mockClear();
    const response = await get(`/v1/analyses/dependencies?node=old-a&at=${T0}`);
    expect(history).toHaveBeenCalledWith(T0, '1h');
    expect(response.json()).toEqual({
      node: 'old-a',
      dependencies: [{ node: 'old-b', kind: 'virtual', depth: 1 }],
    });
  });
});

describe('errors: a stable code and the whole body', () => {
  const bad = (message: string) => [400, { code: 'BAD_REQUEST', message }] as const;
  it.each<[string, readonly [number, { code: string; message: string }]]>([
    [
      '/v1/graph?service=nope',
      [404, { code: 'UNKNOWN_NODE', message: 'the node "nope" is not in the graph' }],
    ],
    ['/v1/graph?service=web&depth=11', bad('querystring/depth must be <= 10')],
    ['/v1/graph?service=web&depth=two', bad('querystring/depth must be integer')],
    ['/v1/graph?depth=1', bad('querystring/depth needs querystring/service')],
    ['/v1/graph?horizon=2m', bad('querystring/horizon must be equal to one of the allowed values')],
    ['/v1/graph?limit=0', bad('querystring/limit must be >= 1')],
    ['/v1/graph?colour=red', bad('querystring must NOT have additional properties')],
    [
      '/v1/graph?at=yesterday',
      bad('querystring/at must be an ISO 8601 time or ms since the epoch, got "yesterday"'),
    ],
    [
      '/v1/graph/nodes/nope',
      [404, { code: 'UNKNOWN_NODE', message: 'the node "nope" is not in the graph' }],
    ],
    [
      '/v1/analyses/blast-radius?edge=catalogdb',
      bad('querystring/edge must be "source→target" (or "source->target"), got "catalogdb"'),
    ],
    ['/v1/analyses/blast-radius', bad('querystring must have exactly one of node, edge')],
    [
      '/v1/analyses/blast-radius?node=db&edge=catalog->db',
      bad('querystring must have exactly one of node, edge'),
    ],
    [
      '/v1/analyses/blast-radius?node=nope',
      [404, { code: 'UNKNOWN_NODE', message: 'blastRadius: the node "nope" is not in the graph.' }],
    ],
    [
      '/v1/analyses/blast-radius?edge=web->db',
      [
        404,
        {
          code: 'UNKNOWN_EDGE',
          message: 'blastRadius: there is no edge "web" → "db" in the graph.',
        },
      ],
    ],
    ['/v1/analyses/root-cause', bad("querystring must have required property 'symptom'")],
    [
      '/v1/analyses/critical-path?entrypoint=ingress&horizon=10m',
      bad('querystring/horizon must be equal to one of the allowed values'),
    ],
    [
      '/v1/analyses/bottlenecks?by=cpu',
      bad('querystring/by must be equal to one of the allowed values'),
    ],
    ['/v1/analyses/dependencies?node=web&maxDepth=-1', bad('querystring/maxDepth must be >= 0')],
    [
      '/v1/analyses/communities?resolution=0',
      [
        400,
        {
          code: 'INVALID_OPTION',
          message: 'communities: invalid option resolution 0 (expected a number > 0).',
        },
      ],
    ],
  ])('%s', async (url, [status, error]) => {
    const response = await get(url);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error });
  });

  it('refuses at when the server runs without history', async () => {
    const live = await createApiApp({ fold, log, now: () => NOW });
    const response = await live.inject({ url: `/v1/analyses/spof?at=${T0}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'HISTORY_UNAVAILABLE',
        message:
          'querystring/at needs the graph history (ClickHouse), and this server runs without it',
      },
    });
    await live.close();
  });

  it('maps NOT_CONVERGED to 422: the request was fine, the graph gave no answer', () => {
    const error = new GraphAnalysisError('pagerank', 'NOT_CONVERGED', 100, 'did not converge.');
    const mapped = (() => {
      try {
        analyse(() => {
          throw error;
        });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(mapped).toBeInstanceOf(ApiError);
    expect(mapped).toMatchObject({ code: 'NOT_CONVERGED', statusCode: 422 });
  });
});

describe('GET /openapi.json', () => {
  it('documents every route with its parameters and responses', async () => {
    const doc = (await get('/openapi.json')).json();
    const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info).toMatchObject({ title: 'meshgraph API', version });
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/metrics',
        '/v1/graph',
        '/v1/graph/nodes/{node}',
        '/v1/graph/stream',
        ...[
          'blast-radius',
          'dependencies',
          'critical-path',
          'bottlenecks',
          'spof',
          'centrality',
          'communities',
          'root-cause',
        ].map((name) => `/v1/analyses/${name}`),
      ].sort(),
    );
    const graphParams = doc.paths['/v1/graph'].get.parameters.map((p: { name: string }) => p.name);
    expect(graphParams).toEqual(['service', 'depth', 'search', 'horizon', 'at', 'limit']);
    for (const [path, item] of Object.entries<{ get: { responses: object } }>(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      expect(Object.keys(item.get.responses), path).toContain('200');
    }
    const stream = doc.paths['/v1/graph/stream'].get.responses['200'];
    expect(Object.keys(stream.content)).toEqual(['text/event-stream']);
    const p99 =
      doc.paths['/v1/graph'].get.responses['200'].content['application/json'].schema.properties
        .edges.items.properties.stats.properties['1m'].properties.p99;
    expect(p99).toEqual({ type: 'number', nullable: true });
  });
});

function red(rate: number): RedStats {
  return { rate, errorRate: 0, p50: 5, p90: 8, p99: 10, p999: 12, requests: rate * 60 };
}
const redAll = (rate: number) => ({ '1m': red(rate), '5m': red(rate), '1h': red(rate) });

/** What history returns: old-a → old-b, last seen just before `tMs`. */
function pastGraph(tMs: number): ServiceGraph {
  const g = createServiceGraph();
  g.addNode('old-a', { kind: 'service', service: 'old-a', health: 'healthy' });
  g.addNode('old-b', { kind: 'virtual', service: 'old-b', health: 'healthy' });
  g.addDirectedEdgeWithKey('old-a→old-b', 'old-a', 'old-b', {
    kind: 'calls',
    stats: redAll(1),
    lastSeenMs: tMs,
  });
  return g;
}

/** s00000 → s00001 → … plus `hub` calling every one of them. */
function chainWithHub(n: number): ServiceGraph {
  const g = createServiceGraph();
  const name = (i: number) => `s${String(i).padStart(5, '0')}`;
  g.addNode('hub', { kind: 'service', service: 'hub', health: 'healthy' });
  for (let i = 0; i < n; i++) {
    g.addNode(name(i), { kind: 'service', service: name(i), health: 'healthy' });
    g.addDirectedEdgeWithKey(`hub→${name(i)}`, 'hub', name(i), {
      kind: 'calls',
      stats: redAll(1),
      lastSeenMs: NOW,
    });
    if (i > 0) {
      g.addDirectedEdgeWithKey(`${name(i - 1)}→${name(i)}`, name(i - 1), name(i), {
        kind: 'calls',
        stats: redAll(i / n),
        lastSeenMs: NOW,
      });
    }
  }
  return g;
}

/** A LiveGraph over a fixed graph, for shapes a fold would take long to build. */
function staticGraph(g: ServiceGraph): LiveGraph {
  return {
    graph: () => g,
    advance: () => {},
    clockMs: NOW,
    snapshot: () => snapshotOf(g, NOW),
    subscribe: () => () => {},
  };
}
