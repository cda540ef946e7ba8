import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  betweenness,
  betweennessFromSources,
  blastRadius,
  dependencies,
  pagerank,
  singlePointsOfFailure,
} from '../../stream-jobs/graph/analyses/index.ts';
import { callsProjection } from '../../stream-jobs/graph/analyses/traffic.ts';
import {
  createServiceGraph,
  type Horizon,
  horizons,
  type RedStats,
  type ServiceGraph,
} from '../../stream-jobs/graph/model.ts';

// Answers computed by networkx (tests/reference/graph_reference.py writes this file; see there
// for how each side's defaults were matched).
interface ReferenceGraph {
  name: string;
  nodes: string[];
  edges: Array<[string, string, number]>;
  endpoints: Array<[string, string]>;
  expected: {
    ancestors: Record<string, Record<string, number>>;
    blastShares: Record<string, Record<string, number>>;
    descendants: Record<string, Record<string, number>>;
    articulationPoints: string[];
    bridges: Array<[string, string]>;
    pagerank: Record<string, number>;
    pagerankWeighted: Record<string, number>;
    betweenness: Record<string, number>;
  };
}

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/graph-reference.json', import.meta.url), 'utf8'),
) as { graphs: ReferenceGraph[] };

function stats(rate: number): Record<Horizon, RedStats> {
  const red = { rate, errorRate: 0, p50: 10, p90: 20, p99: 40, p999: 80, requests: rate * 300 };
  return Object.fromEntries(horizons.map((h) => [h, { ...red }])) as Record<Horizon, RedStats>;
}

/** The reference graph, plus endpoint nodes networkx never saw (the analyses must skip them). */
function rebuild(spec: ReferenceGraph): ServiceGraph {
  const graph = createServiceGraph();
  for (const node of spec.nodes)
    graph.addNode(node, { kind: 'service', service: node, health: 'healthy' });
  for (const [source, target, rate] of spec.edges) {
    graph.addDirectedEdge(source, target, { kind: 'calls', stats: stats(rate), lastSeenMs: 0 });
  }
  for (const [service, endpoint] of spec.endpoints) {
    graph.addNode(endpoint, {
      kind: 'endpoint',
      service,
      endpoint: endpoint.split('/')[1],
      health: 'healthy',
    });
    graph.addDirectedEdge(service, endpoint, { kind: 'hosts', stats: stats(5), lastSeenMs: 0 });
  }
  return graph;
}

function expectClose(actual: Record<string, number>, expected: Record<string, number>) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [node, value] of Object.entries(expected)) {
    expect(Math.abs((actual[node] as number) - value), node).toBeLessThan(1e-6);
  }
}

describe.each(reference.graphs)('graph analyses against networkx: $name', (spec) => {
  const graph = rebuild(spec);
  const { expected } = spec;

  it('blast radius: the callers are networkx ancestors, at shortest-path depth', () => {
    for (const [target, ancestors] of Object.entries(expected.ancestors)) {
      const { callers } = blastRadius(graph, { node: target });
      expect(Object.fromEntries(callers.map((c) => [c.node, c.depth]))).toEqual(ancestors);
    }
  });

  it('blast radius: shares solve the traffic-split linear system', () => {
    for (const [target, shares] of Object.entries(expected.blastShares)) {
      const result = blastRadius(graph, { node: target });
      expect(result.converged).toBe(true);
      expectClose(Object.fromEntries(result.callers.map((c) => [c.node, c.share])), shares);
    }
  });

  it('dependencies: descendants at shortest-path depth', () => {
    for (const [source, descendants] of Object.entries(expected.descendants)) {
      const result = dependencies(graph, { node: source });
      expect(Object.fromEntries(result.dependencies.map((d) => [d.node, d.depth]))).toEqual(
        descendants,
      );
    }
  });

  it('single points of failure: articulation points and bridges of the undirected view', () => {
    const spof = singlePointsOfFailure(graph);
    expect(spof.articulationPoints.map((p) => p.node)).toEqual(expected.articulationPoints);
    expect(spof.bridges).toEqual(expected.bridges);
  });

  it('PageRank, unweighted and rate-weighted, within 1e-6', () => {
    expectClose(pagerank(graph, {}, { weighted: false }).scores, expected.pagerank);
    expectClose(pagerank(graph).scores, expected.pagerankWeighted);
  });

  it('betweenness (normalised, directed) within 1e-6, also through the sampling path', () => {
    const exact = betweenness(graph);
    expect(exact.exact).toBe(true);
    expectClose(exact.scores, expected.betweenness);
    const projection = callsProjection(graph, '5m');
    const everySource = projection.nodes().map((_, i) => i);
    expectClose(betweennessFromSources(projection, everySource, true), expected.betweenness);
  });
});

describe('sampled betweenness', () => {
  const spec = reference.graphs[reference.graphs.length - 1] as ReferenceGraph;
  const graph = rebuild(spec);

  it('is reproducible for a seed and reports itself as sampled', () => {
    const a = betweenness(graph, {}, { k: 50, seed: 7 });
    const b = betweenness(graph, {}, { k: 50, seed: 7 });
    expect(a).toEqual(b);
    expect(a.exact).toBe(false);
    expect(a.sources).toBe(50);
    expect(betweenness(graph, {}, { k: 50, seed: 8 }).scores).not.toEqual(a.scores);
  });

  it('estimates the exact values without bias (mean over seeds close to networkx)', () => {
    const nodes = Object.keys(spec.expected.betweenness);
    const runs = 40;
    const mean = Object.fromEntries(nodes.map((n) => [n, 0]));
    for (let seed = 1; seed <= runs; seed++) {
      const { scores } = betweenness(graph, {}, { k: 100, seed });
      for (const n of nodes) mean[n] = (mean[n] as number) + (scores[n] as number) / runs;
    }
    const error = nodes.reduce(
      (sum, n) => sum + Math.abs((mean[n] as number) - (spec.expected.betweenness[n] as number)),
      0,
    );
    const total = nodes.reduce((sum, n) => sum + (spec.expected.betweenness[n] as number), 0);
    expect(error / total).toBeLessThan(0.1);
  });
});
