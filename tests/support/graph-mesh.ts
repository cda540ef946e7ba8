/**
 * The graph analyses' hand-worked fixture: a small mesh with a db fault, every figure chosen so
 * the expected answers can be worked out by hand (the comment below draws it). `build` makes
 * any other graph the same way.
 */

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

export interface Edge {
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

export function build(
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

export type Overrides = Partial<Record<string, Partial<Edge>>>;

export function mesh(overrides: Overrides = {}): ServiceGraph {
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

export const pick = <T extends { node: string }>(rows: T[], ...keys: Array<keyof T>) =>
  rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));
