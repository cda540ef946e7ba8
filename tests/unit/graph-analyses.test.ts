import { describe, expect, it } from 'vitest';
import {
  blastRadius,
  bottlenecks,
  centrality,
  communities,
  criticalPath,
  dependencies,
  GraphAnalysisError,
  pagerank,
  rootCause,
  singlePointsOfFailure,
} from '../../stream-jobs/graph/analyses/index.ts';
import {
  createServiceGraph,
  type Health,
  type Horizon,
  type NodeKind,
  type RedStats,
  type ServiceGraph,
} from '../../stream-jobs/graph/model.ts';

// The hand-worked topology (rates req/s, p99 ms, 5m error rate; every 1h baseline: 1% errors,
// same rates and latencies):
//
//   ingress ─100─► web ─60─► catalog ─30─► db ─5─► storage      catalog ─90─► cache
//                      ─30─► cart    ─20─► db                   cart    ─10─► cache
//                      ─10─► recommend ─6─► llm-a, ─4─► llm-b
//
// The current window holds a db fault: db answers 30% errors, catalog 15%, cart 25%, web 12%;
// llm-b went from 1% to 5% on its own (its caller recommend is fine).

interface Edge {
  rate: number;
  p99: number;
  errorRate?: number;
  /** Overrides of the 1h baseline (default: same rate and p99, 1% errors). */
  baseline?: { errorRate?: number; p99?: number };
}

const seconds: Record<Horizon, number> = { '1m': 60, '5m': 300, '1h': 3600 };

function red(rate: number, errorRate: number, p99: number, horizon: Horizon): RedStats {
  const requests = rate * seconds[horizon];
  return { rate, errorRate, p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 2, requests };
}

function build(
  nodes: Array<[string, NodeKind, Health?]>,
  edges: Array<[string, string, Edge]>,
): ServiceGraph {
  const graph = createServiceGraph();
  for (const [key, kind, health = 'healthy'] of nodes) {
    const [service, endpoint] = kind === 'endpoint' ? key.split('/') : [key, undefined];
    graph.addNode(key, { kind, service: service as string, endpoint, health });
  }
  for (const [source, target, e] of edges) {
    const kind = graph.getNodeAttribute(target, 'kind') === 'endpoint' ? 'hosts' : 'calls';
    const current = e.errorRate ?? 0.01;
    const base = { errorRate: 0.01, p99: e.p99, ...e.baseline };
    graph.addDirectedEdge(source, target, {
      kind,
      lastSeenMs: 0,
      stats: {
        '1m': red(e.rate, current, e.p99, '1m'),
        '5m': red(e.rate, current, e.p99, '5m'),
        '1h': red(e.rate, base.errorRate, base.p99, '1h'),
      },
    });
  }
  return graph;
}

type Overrides = Partial<Record<string, Partial<Edge>>>;

function mesh(overrides: Overrides = {}): ServiceGraph {
  const edge = (source: string, target: string, e: Edge): [string, string, Edge] => [
    source,
    target,
    { ...e, ...overrides[`${source}>${target}`] },
  ];
  return build(
    [
      ['ingress', 'ingress'],
      ...(['web', 'catalog', 'cart', 'recommend', 'db', 'cache', 'llm-a', 'llm-b', 'storage'].map(
        (s) => [s, 'service'],
      ) as Array<[string, NodeKind]>),
      ['db/10.0.0.1:5432', 'endpoint'],
      ['db/10.0.0.2:5432', 'endpoint', 'failing'],
      ['catalog/10.0.1.1:8080', 'endpoint'],
      ['catalog/10.0.1.2:8080', 'endpoint'],
      ['cache/10.0.2.1:6379', 'endpoint'],
      ['llm-a/10.0.3.1:8000', 'endpoint'],
      ['llm-a/10.0.3.2:8000', 'endpoint'],
    ],
    [
      edge('ingress', 'web', { rate: 100, p99: 400, errorRate: 0.12 }),
      edge('web', 'catalog', { rate: 60, p99: 250, errorRate: 0.15 }),
      edge('web', 'cart', { rate: 30, p99: 120, errorRate: 0.25 }),
      edge('web', 'recommend', { rate: 10, p99: 300 }),
      edge('catalog', 'db', { rate: 30, p99: 200, errorRate: 0.3 }),
      edge('catalog', 'cache', { rate: 90, p99: 20 }),
      edge('cart', 'db', { rate: 20, p99: 90, errorRate: 0.3 }),
      edge('cart', 'cache', { rate: 10, p99: 10 }),
      edge('recommend', 'llm-a', { rate: 6, p99: 280 }),
      edge('recommend', 'llm-b', { rate: 4, p99: 260, errorRate: 0.05 }),
      edge('db', 'storage', { rate: 5, p99: 150 }),
      edge('db', 'db/10.0.0.1:5432', { rate: 30, p99: 180, errorRate: 0.3 }),
      edge('db', 'db/10.0.0.2:5432', { rate: 20, p99: 180, errorRate: 0.3 }),
      edge('catalog', 'catalog/10.0.1.1:8080', { rate: 30, p99: 240, errorRate: 0.15 }),
      edge('catalog', 'catalog/10.0.1.2:8080', { rate: 30, p99: 240, errorRate: 0.15 }),
      edge('cache', 'cache/10.0.2.1:6379', { rate: 100, p99: 15 }),
      edge('llm-a', 'llm-a/10.0.3.1:8000', { rate: 3, p99: 270 }),
      edge('llm-a', 'llm-a/10.0.3.2:8000', { rate: 3, p99: 270 }),
    ],
  );
}

const graph = mesh();
const pick = <T extends { node: string }>(rows: T[], ...keys: Array<keyof T>) =>
  rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

describe('blast radius', () => {
  it('of db: every transitive caller with the share of its traffic that reaches db', () => {
    // catalog sends 30 of its 120 calls/s to db: 1/4; cart 20 of 30: 2/3;
    // web mixes them by its calls: (60·1/4 + 30·2/3 + 10·0) / 100 = 0.35; ingress follows web.
    const result = blastRadius(graph, { node: 'db' });
    expect(result.converged).toBe(true);
    expect(result.callers.map((c) => [c.node, c.depth])).toEqual([
      ['cart', 1],
      ['catalog', 1],
      ['web', 2],
      ['ingress', 3],
    ]);
    const share = Object.fromEntries(result.callers.map((c) => [c.node, c.share]));
    expect(share.catalog).toBeCloseTo(0.25, 12);
    expect(share.cart).toBeCloseTo(2 / 3, 12);
    expect(share.web).toBeCloseTo(0.35, 12);
    expect(share.ingress).toBeCloseTo(0.35, 12);
    // affected req/s = share × inbound traffic (outbound for the ingress): 15, 20, 35, 35.
    const rate = Object.fromEntries(result.callers.map((c) => [c.node, c.affectedRate]));
    expect(rate).toEqual({
      catalog: 15,
      cart: expect.closeTo(20, 9),
      web: expect.closeTo(35, 9),
      ingress: expect.closeTo(35, 9),
    });
    expect(result.entrypoints.map((e) => e.node)).toEqual(['ingress', 'web']);
  });

  it('of one edge: only that call fails (cart → db)', () => {
    // cart: 2/3 of its calls; web: 30 · 2/3 / 100 = 0.2.
    const result = blastRadius(graph, { edge: { source: 'cart', target: 'db' } });
    expect(result.callers.map((c) => [c.node, c.depth, Number(c.share.toFixed(12))])).toEqual([
      ['cart', 1, 0.666666666667],
      ['web', 2, 0.2],
      ['ingress', 3, 0.2],
    ]);
  });

  it('of one endpoint: its share of its service, carried up', () => {
    // db/10.0.0.2 serves 20 of db's 50 req/s: 0.4; catalog 30·0.4/120 = 0.1;
    // cart 20·0.4/30 = 4/15; web (60·0.1 + 30·4/15)/100 = 0.14.
    const { callers } = blastRadius(graph, { node: 'db/10.0.0.2:5432' });
    expect(callers.map((c) => [c.node, c.depth, Number(c.share.toFixed(12))])).toEqual([
      ['db', 1, 0.4],
      ['cart', 2, 0.266666666667],
      ['catalog', 2, 0.1],
      ['web', 3, 0.14],
      ['ingress', 4, 0.14],
    ]);
  });

  it('of an entrypoint lists the entrypoint itself, fully affected', () => {
    const result = blastRadius(graph, { node: 'web' });
    expect(pick(result.callers, 'node', 'share')).toEqual([{ node: 'ingress', share: 1 }]);
    expect(pick(result.entrypoints, 'node', 'share', 'depth')).toEqual([
      { node: 'ingress', share: 1, depth: 1 },
      { node: 'web', share: 1, depth: 0 },
    ]);
  });

  it('resolves call cycles: a ⇄ b, a → d, b → c, target c', () => {
    // f(b) = ½ f(a) + ½, f(a) = ½ f(b) → f(b) = 2/3, f(a) = 1/3.
    const g = build(
      [
        ['a', 'service'],
        ['b', 'service'],
        ['c', 'service'],
        ['d', 'service'],
      ],
      [
        ['a', 'b', { rate: 1, p99: 1 }],
        ['a', 'd', { rate: 1, p99: 1 }],
        ['b', 'a', { rate: 1, p99: 1 }],
        ['b', 'c', { rate: 1, p99: 1 }],
      ],
    );
    const result = blastRadius(g, { node: 'c' });
    expect(result.converged).toBe(true);
    const share = Object.fromEntries(result.callers.map((c) => [c.node, c.share]));
    expect(share.b).toBeCloseTo(2 / 3, 10);
    expect(share.a).toBeCloseTo(1 / 3, 10);
  });
});

describe('dependencies', () => {
  it('the downstream closure of web with call depth', () => {
    expect(dependencies(graph, { node: 'web' }).dependencies.map((d) => [d.node, d.depth])).toEqual(
      [
        ['cart', 1],
        ['catalog', 1],
        ['recommend', 1],
        ['cache', 2],
        ['db', 2],
        ['llm-a', 2],
        ['llm-b', 2],
        ['storage', 3],
      ],
    );
  });

  it('maxDepth cuts the closure; includeEndpoints adds endpoints below their service', () => {
    const shallow = dependencies(graph, { node: 'web' }, { maxDepth: 1 });
    expect(shallow.dependencies.map((d) => d.node)).toEqual(['cart', 'catalog', 'recommend']);
    const withEndpoints = dependencies(graph, { node: 'catalog' }, { includeEndpoints: true });
    expect(withEndpoints.dependencies.map((d) => [d.node, d.depth])).toEqual([
      ['cache', 1],
      ['catalog/10.0.1.1:8080', 1],
      ['catalog/10.0.1.2:8080', 1],
      ['db', 1],
      ['cache/10.0.2.1:6379', 2],
      ['db/10.0.0.1:5432', 2],
      ['db/10.0.0.2:5432', 2],
      ['storage', 2],
    ]);
  });
});

describe('critical path', () => {
  it('descends to the slowest call, branching at near-ties (llm-b 260 ≥ 0.9 × 280)', () => {
    const { paths } = criticalPath(graph, { entrypoint: 'ingress' });
    expect(paths.map((p) => p.nodes)).toEqual([
      ['ingress', 'web', 'recommend', 'llm-a'],
      ['ingress', 'web', 'recommend', 'llm-b'],
    ]);
    // Self time: each hop minus the next: web 400 − 300, recommend 300 − 280, llm-a 280.
    expect(paths[0]?.hops.map((h) => [h.to, h.latencyMs, h.selfMs, h.callsPerRequest])).toEqual([
      ['web', 400, 100, 1],
      ['recommend', 300, 20, 0.1],
      ['llm-a', 280, 280, 0.6],
    ]);
    expect(paths[0]?.latencyMs).toBe(400);
    expect(paths[1]?.hops.map((h) => h.selfMs)).toEqual([100, 40, 260]);
  });

  it('tolerance 0 gives one path; a wider tolerance brings in catalog → db → storage', () => {
    const strict = criticalPath(graph, { entrypoint: 'ingress' }, { tolerance: 0 });
    expect(strict.paths.map((p) => p.nodes.at(-1))).toEqual(['llm-a']);
    const wide = criticalPath(graph, { entrypoint: 'web' }, { tolerance: 0.2, maxPaths: 5 });
    expect(wide.paths.map((p) => p.nodes)).toEqual([
      ['web', 'recommend', 'llm-a'],
      ['web', 'recommend', 'llm-b'],
      ['web', 'catalog', 'db', 'storage'],
    ]);
    expect(wide.paths[2]?.hops.map((h) => h.selfMs)).toEqual([50, 50, 150]);
  });

  it('never revisits a node on a call cycle', () => {
    const g = build(
      [
        ['a', 'service'],
        ['b', 'service'],
        ['c', 'service'],
      ],
      [
        ['a', 'b', { rate: 1, p99: 90 }],
        ['b', 'a', { rate: 1, p99: 80 }],
        ['b', 'c', { rate: 1, p99: 10 }],
      ],
    );
    expect(criticalPath(g, { entrypoint: 'a' }).paths.map((p) => p.nodes)).toEqual([
      ['a', 'b', 'c'],
    ]);
  });

  it('a leaf has a path of itself', () => {
    expect(criticalPath(graph, { entrypoint: 'storage' }).paths).toEqual([
      { nodes: ['storage'], latencyMs: 0, hops: [] },
    ]);
  });
});

describe('single points of failure', () => {
  it('articulation points, bridges and services with at most one healthy endpoint', () => {
    // web, catalog, cart, db and cache sit on cycles (web–catalog–db–cart, catalog–cache–cart);
    // web holds ingress and recommend's branch, recommend the two LLMs, db the storage.
    expect(singlePointsOfFailure(graph)).toEqual({
      articulationPoints: [
        { node: 'db', components: 2 },
        { node: 'recommend', components: 3 },
        { node: 'web', components: 3 },
      ],
      bridges: [
        ['db', 'storage'],
        ['ingress', 'web'],
        ['llm-a', 'recommend'],
        ['llm-b', 'recommend'],
        ['recommend', 'web'],
      ],
      singleEndpointServices: [
        { service: 'cache', endpoints: 1, healthyEndpoints: 1 },
        { service: 'db', endpoints: 2, healthyEndpoints: 1 },
      ],
    });
  });

  it('a 10,000-node chain does not overflow the stack', () => {
    const nodes: Array<[string, NodeKind]> = [];
    const edges: Array<[string, string, Edge]> = [];
    for (let i = 0; i < 10_000; i++) {
      nodes.push([`s${i}`, 'service']);
      if (i > 0) edges.push([`s${i - 1}`, `s${i}`, { rate: 1, p99: 1 }]);
    }
    const spof = singlePointsOfFailure(build(nodes, edges));
    expect(spof.articulationPoints).toHaveLength(9_998);
    expect(spof.bridges).toHaveLength(9_999);
  });
});

describe('bottlenecks', () => {
  it('by traffic: share of all inbound calls (365 req/s in all)', () => {
    const { nodes } = bottlenecks(graph);
    expect(nodes.map((n) => [n.node, n.rate])).toEqual([
      ['cache', 100],
      ['web', 100],
      ['catalog', 60],
      ['db', 50],
      ['cart', 30],
      ['recommend', 10],
      ['llm-a', 6],
      ['storage', 5],
      ['llm-b', 4],
    ]);
    expect(nodes[0]?.trafficShare).toBeCloseTo(100 / 365, 12);
  });

  it('by betweenness × latency: betweenness 8, 4, 3, 4, 3 of 72 ordered pairs', () => {
    // web lies on all 8 routes from ingress; recommend on 4 (to the LLMs); db on the 4 to
    // storage; catalog and cart each on half of 6. db's p99 = (30·200 + 20·90)/50 = 156 ms.
    const { nodes } = bottlenecks(graph, { by: 'betweenness-latency' }, { limit: 5 });
    expect(nodes.map((n) => [n.node, Number(n.score.toFixed(9))])).toEqual([
      ['web', Number(((8 / 72) * 400).toFixed(9))],
      ['recommend', Number(((4 / 72) * 300).toFixed(9))],
      ['catalog', Number(((3 / 72) * 250).toFixed(9))],
      ['db', Number(((4 / 72) * 156).toFixed(9))],
      ['cart', Number(((3 / 72) * 120).toFixed(9))],
    ]);
  });

  it('by saturation: load per serving endpoint, relative or against a known capacity', () => {
    // cache 100 on 1, web 100 (no endpoint nodes), db 50 on 1 serving (one failing).
    const relative = bottlenecks(graph, { by: 'saturation' }, { limit: 4 });
    expect(pick(relative.nodes, 'node', 'saturation', 'servingEndpoints')).toEqual([
      { node: 'cache', saturation: 1, servingEndpoints: 1 },
      { node: 'web', saturation: 1, servingEndpoints: null },
      { node: 'db', saturation: 0.5, servingEndpoints: 1 },
      { node: 'cart', saturation: 0.3, servingEndpoints: null },
    ]);
    const known = bottlenecks(graph, { by: 'saturation' }, { capacityRps: { db: 40 }, limit: 1 });
    expect(pick(known.nodes, 'node', 'saturation')).toEqual([{ node: 'db', saturation: 1.25 }]);
  });
});

describe('root cause', () => {
  it('the deep service whose errors rose against its baseline ranks first', () => {
    const { candidates } = rootCause(graph, { symptom: 'web' });
    const db = candidates[0];
    expect(db?.node).toBe('db');
    // (30% − 1%) / (1 − 1%): the share of formerly good requests now failing.
    expect(db?.score).toBeCloseTo(0.29 / 0.99, 12);
    expect(db).toMatchObject({ propagation: 1, explained: 0, explainedBy: null, depth: 2 });
    expect(db?.reason).toBe(
      "error rate 30.0% vs baseline 1.0% (anomaly 0.293); 100% of its callers' traffic carries " +
        'the anomaly to the symptom; no more anomalous dependency explains it',
    );
    const byNode = Object.fromEntries(
      rootCause(graph, { symptom: 'web' }, { limit: 100 }).candidates.map((c) => [c.node, c]),
    );
    // The propagators are explained by what they call: web by cart (the more anomalous of its
    // two anomalous callees), catalog and cart by db.
    expect(
      pick(
        [byNode.web, byNode.catalog, byNode.cart].map((c) => c as NonNullable<typeof c>),
        'node',
        'score',
        'explainedBy',
      ),
    ).toEqual([
      { node: 'web', score: 0, explainedBy: 'cart' },
      { node: 'catalog', score: 0, explainedBy: 'db' },
      { node: 'cart', score: 0, explainedBy: 'db' },
    ]);
    // The healthy fan-out sibling scores nothing; llm-b's own rise does not reach the symptom.
    expect(byNode['llm-a']).toMatchObject({ anomaly: 0, score: 0 });
    expect(byNode['llm-b']?.anomaly).toBeCloseTo(0.04 / 0.99, 12);
    expect(byNode['llm-b']).toMatchObject({ propagation: 0, score: 0 });
    // db's endpoints fail alike: a service-wide fault, named by the service.
    expect(byNode['db/10.0.0.2:5432']).toMatchObject({ explained: 1, explainedBy: 'db', score: 0 });
  });

  it('one bad endpoint outranks its service', () => {
    // db/10.0.0.2 at 70%, db/10.0.0.1 at 1/30: db's callers still see 30%.
    // Endpoint score = a(e) × (1 − a(db)/a(e)) = (0.69 − 0.29)/0.99.
    const g = mesh({
      'db>db/10.0.0.2:5432': { errorRate: 0.7 },
      'db>db/10.0.0.1:5432': { errorRate: 1 / 30 },
    });
    const { candidates } = rootCause(g, { symptom: 'web' });
    expect(candidates.slice(0, 2).map((c) => c.node)).toEqual(['db/10.0.0.2:5432', 'db']);
    expect(candidates[0]?.score).toBeCloseTo(0.4 / 0.99, 12);
    expect(candidates[0]?.reason).toContain('42% explained by db (anomaly 0.293)');
  });

  it('latency: a slow storage explains a slow db', () => {
    // storage p99 150 → 600 (anomaly 1 − 150/600 = 0.75); db 156 → 312 (0.5), explained by it.
    const g = mesh({
      'db>storage': { p99: 600, baseline: { p99: 150 } },
      'catalog>db': { p99: 400, errorRate: 0.01, baseline: { p99: 200 } },
      'cart>db': { p99: 180, errorRate: 0.01, baseline: { p99: 90 } },
    });
    const { candidates } = rootCause(g, { symptom: 'db' });
    expect(pick(candidates.slice(0, 2), 'node', 'score', 'explainedBy')).toEqual([
      { node: 'storage', score: 0.75, explainedBy: null },
      { node: 'db', score: 0, explainedBy: 'storage' },
    ]);
    expect(candidates[1]?.latencyScore).toBeCloseTo(0.5, 12);
    expect(candidates[0]?.reason).toContain('p99 600 ms vs baseline 150 ms');
  });

  it('with no anomaly anywhere every score is 0', () => {
    const calm = mesh(
      Object.fromEntries(
        ['ingress>web', 'web>catalog', 'web>cart', 'catalog>db', 'cart>db', 'recommend>llm-b'].map(
          (k) => [k, { errorRate: 0.01 }],
        ),
      ),
    );
    const { candidates } = rootCause(calm, { symptom: 'web' }, { includeEndpoints: false });
    expect(candidates.every((c) => c.score === 0 && c.anomaly === 0)).toBe(true);
  });
});

describe('centrality and communities', () => {
  it('PageRank sums to 1 and favours the most depended-on; betweenness exact on small graphs', () => {
    const { pagerank, betweenness } = centrality(graph);
    const ranks = Object.values(pagerank.scores);
    expect(ranks).toHaveLength(10); // endpoints are not part of the call structure
    expect(ranks.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(pagerank.scores.cache).toBeGreaterThan(pagerank.scores.catalog as number);
    expect(betweenness.exact).toBe(true);
    expect(betweenness.scores.web).toBeCloseTo(8 / 72, 12);
  });

  it('Louvain splits two dense groups joined by one thin call, reproducibly', () => {
    const nodes: Array<[string, NodeKind]> = [];
    const edges: Array<[string, string, Edge]> = [];
    for (const group of ['a', 'b']) {
      for (let i = 0; i < 4; i++) nodes.push([`${group}${i}`, 'service']);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++)
          if (i !== j) edges.push([`${group}${i}`, `${group}${j}`, { rate: 10, p99: 1 }]);
      }
    }
    edges.push(['a0', 'b0', { rate: 1, p99: 1 }]);
    const g = build(nodes, edges);
    const first = communities(g);
    expect(first.communities.map((c) => c.members)).toEqual([
      ['a0', 'a1', 'a2', 'a3'],
      ['b0', 'b1', 'b2', 'b3'],
    ]);
    expect(first.membership).toMatchObject({ a3: 0, b3: 1 });
    expect(first.modularity).toBeGreaterThan(0.4);
    expect(communities(g)).toEqual(first);
    expect(communities(graph, {}, { seed: 3 })).toEqual(communities(graph, {}, { seed: 3 }));
  });

  it('a graph without call edges: every node alone', () => {
    const g = build(
      [
        ['x', 'service'],
        ['y', 'service'],
      ],
      [],
    );
    expect(communities(g).communities.map((c) => c.members)).toEqual([['x'], ['y']]);
    expect(centrality(g).pagerank.scores).toEqual({ x: 0.5, y: 0.5 });
  });
});

describe('errors name the method and quote the value', () => {
  const errorOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(GraphAnalysisError);
      return (error as GraphAnalysisError).toJSON();
    }
    throw new Error('expected a GraphAnalysisError');
  };

  it('unknown node', () => {
    expect(errorOf(() => blastRadius(graph, { node: 'nope' }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'UNKNOWN_NODE',
      method: 'blastRadius',
      value: 'nope',
      message: 'blastRadius: the node "nope" is not in the graph.',
    });
    expect(errorOf(() => dependencies(graph, { node: 'ghost' }))).toMatchObject({
      method: 'dependencies',
      code: 'UNKNOWN_NODE',
      value: 'ghost',
    });
    expect(errorOf(() => criticalPath(graph, { entrypoint: 'ghost' }))).toMatchObject({
      method: 'criticalPath',
      code: 'UNKNOWN_NODE',
    });
    expect(errorOf(() => rootCause(graph, { symptom: 42 as unknown as string }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'UNKNOWN_NODE',
      method: 'rootCause',
      value: 42,
      message: 'rootCause: the node 42 is not in the graph.',
    });
  });

  it('unknown edge, bad params, bad horizon, bad options', () => {
    expect(errorOf(() => blastRadius(graph, { edge: { source: 'web', target: 'db' } }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'UNKNOWN_EDGE',
      method: 'blastRadius',
      value: { source: 'web', target: 'db' },
      message: 'blastRadius: there is no edge "web" → "db" in the graph.',
    });
    expect(errorOf(() => blastRadius(graph, {} as { node: string }))).toMatchObject({
      code: 'INVALID_PARAMS',
      message: 'blastRadius: params {} must name exactly one of node or edge.',
    });
    expect(
      errorOf(() => rootCause(graph, { symptom: 'web' }, { horizon: '2m' as Horizon })),
    ).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_HORIZON',
      method: 'rootCause',
      value: '2m',
      message: 'rootCause: invalid horizon "2m" (expected one of 1m, 5m, 1h).',
    });
    expect(errorOf(() => rootCause(graph, { symptom: 'web' }, { baseline: '5m' }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'rootCause: the baseline "5m" must differ from the horizon.',
    });
    expect(
      errorOf(() => criticalPath(graph, { entrypoint: 'web' }, { quantile: 'p42' as 'p99' })),
    ).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_OPTION',
      method: 'criticalPath',
      value: 'p42',
      message: 'criticalPath: invalid option quantile "p42" (expected one of p50, p90, p99, p999).',
    });
    expect(errorOf(() => dependencies(graph, { node: 'web' }, { maxDepth: 0 }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'dependencies: invalid option maxDepth 0 (expected an integer ≥ 1).',
    });
    expect(errorOf(() => bottlenecks(graph, { by: 'betweenness-latency' }, { k: 0 }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_OPTION',
      method: 'bottlenecks',
      value: 0,
      message: 'bottlenecks: invalid option k 0 (expected an integer ≥ 1).',
    });
    expect(errorOf(() => centrality(graph, {}, { alpha: 2 }))).toMatchObject({
      code: 'INVALID_OPTION',
      method: 'centrality',
      value: 2,
    });
    expect(errorOf(() => pagerank(graph, {}, { maxIterations: 1 }))).toMatchObject({
      code: 'NOT_CONVERGED',
      method: 'pagerank',
      value: 1,
    });
    expect(errorOf(() => bottlenecks(graph, { by: 'fame' as 'traffic' }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_PARAMS',
      method: 'bottlenecks',
      value: 'fame',
      message:
        'bottlenecks: invalid param by "fame" (expected one of traffic, betweenness-latency, saturation).',
    });
  });
});
