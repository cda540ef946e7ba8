import { describe, expect, it } from 'vitest';
import { centrality, communities } from '../../stream-jobs/graph/analyses/index.ts';
import type { NodeKind } from '../../stream-jobs/graph/model.ts';
import { build, type Edge, mesh } from '../support/graph-mesh.ts';

// Centrality, PageRank and communities over the fixture mesh.
// Fixture: tests/support/graph-mesh.ts.

const graph = mesh();

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
