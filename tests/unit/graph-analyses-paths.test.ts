import { describe, expect, it } from 'vitest';
import {
  bottlenecks,
  criticalPath,
  singlePointsOfFailure,
} from '../../stream-jobs/graph/analyses/index.ts';
import type { NodeKind } from '../../stream-jobs/graph/model.ts';
import { build, type Edge, mesh, pick } from '../support/graph-mesh.ts';

// Critical path, single points of failure and bottlenecks over the fixture mesh.
// Fixture: tests/support/graph-mesh.ts.

const graph = mesh();

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
