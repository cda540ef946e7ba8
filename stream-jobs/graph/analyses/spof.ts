import type { ServiceGraph } from '../model.ts';
import { compare, isStructural } from './traffic.ts';
import { checkParams } from './validate.ts';

const method = 'singlePointsOfFailure';

export interface ArticulationPoint {
  node: string;
  /** Connected pieces its neighbours fall into once it is removed (≥ 2). */
  components: number;
}

export interface SingleEndpointService {
  service: string;
  endpoints: number;
  /** Endpoints whose health is `healthy` (0 or 1 here). */
  healthyEndpoints: number;
}

export interface SinglePointsOfFailure {
  /** Nodes whose removal disconnects the undirected call structure, by name. */
  articulationPoints: ArticulationPoint[];
  /** Undirected call links whose removal disconnects it, each `[a, b]` with a < b, sorted. */
  bridges: Array<[string, string]>;
  /** Services with endpoints of which at most one is healthy. */
  singleEndpointServices: SingleEndpointService[];
}

/**
 * Single points of failure. Structure: articulation points and bridges of the undirected view of
 * the `calls` edges between non-endpoint nodes (a→b and b→a merge into one link), by Hopcroft–
 * Tarjan's lowpoint DFS, iterative so 10,000-deep chains do not overflow the stack. Direction is
 * dropped because a failure cuts traffic both ways: callers lose the callee, callees lose load.
 * Capacity: services with endpoint nodes of which at most one is `healthy` (services with no
 * endpoint nodes are unknown, not listed). Complexity O(V + E). No options.
 */
export function singlePointsOfFailure(
  graph: ServiceGraph,
  params: Record<string, never> = {},
): SinglePointsOfFailure {
  checkParams(method, params);
  const nodes: string[] = [];
  const index = new Map<string, number>();
  graph.forEachNode((node, attributes) => {
    if (!isStructural(attributes)) return;
    index.set(node, nodes.length);
    nodes.push(node);
  });
  const adjacency: number[][] = nodes.map(() => []);
  graph.forEachEdge((_e, a, source, target) => {
    const s = index.get(source);
    const t = index.get(target);
    if (a.kind !== 'calls' || s === undefined || t === undefined) return;
    // Keep one of a→b / b→a so the undirected view stays simple (parent skipping relies on it).
    if (s > t && graph.hasDirectedEdge(target, source)) {
      if (graph.getDirectedEdgeAttribute(target, source, 'kind') === 'calls') return;
    }
    adjacency[s]?.push(t);
    adjacency[t]?.push(s);
  });

  const { components, bridges } = lowpoints(adjacency);
  const articulationPoints = nodes
    .map((node, i) => ({ node, components: components[i] as number }))
    .filter((p) => p.components >= 2)
    .sort((a, b) => compare(a.node, b.node));
  const bridgeNames = bridges
    .map(([a, b]) => [nodes[a] as string, nodes[b] as string].sort(compare) as [string, string])
    .sort((x, y) => compare(x[0], y[0]) || compare(x[1], y[1]));
  return {
    articulationPoints,
    bridges: bridgeNames,
    singleEndpointServices: singleEndpointServices(graph),
  };
}

/**
 * Iterative lowpoint DFS over a simple undirected adjacency. Returns, per node, the number of
 * pieces its removal leaves around it (0 or 1: not an articulation point), and the bridges.
 */
export function lowpoints(adjacency: readonly (readonly number[])[]): {
  components: Int32Array;
  bridges: Array<[number, number]>;
} {
  const n = adjacency.length;
  const discovered = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const parent = new Int32Array(n).fill(-1);
  const cursor = new Int32Array(n);
  const components = new Int32Array(n);
  const bridges: Array<[number, number]> = [];
  const stack: number[] = [];
  let time = 0;
  for (let root = 0; root < n; root++) {
    if (discovered[root] !== -1) continue;
    discovered[root] = low[root] = time++;
    stack.push(root);
    let rootChildren = 0;
    while (stack.length > 0) {
      const v = stack[stack.length - 1] as number;
      const neighbours = adjacency[v] as readonly number[];
      if ((cursor[v] as number) < neighbours.length) {
        const w = neighbours[(cursor[v] as number)++] as number;
        if (discovered[w] === -1) {
          parent[w] = v;
          discovered[w] = low[w] = time++;
          stack.push(w);
          if (v === root) rootChildren++;
        } else if (w !== parent[v]) {
          low[v] = Math.min(low[v] as number, discovered[w] as number);
        }
        continue;
      }
      stack.pop();
      const p = parent[v] as number;
      if (p === -1) continue;
      low[p] = Math.min(low[p] as number, low[v] as number);
      if ((low[v] as number) > (discovered[p] as number)) bridges.push([p, v]);
      // A child whose subtree cannot climb above p is cut off when p goes: one more piece.
      if (p !== root && (low[v] as number) >= (discovered[p] as number)) {
        components[p] = (components[p] as number) + 1;
      }
    }
    components[root] = rootChildren;
  }
  // A non-root cut vertex also keeps the piece holding its parent.
  for (let v = 0; v < n; v++) {
    if (parent[v] !== -1 && (components[v] as number) > 0)
      components[v] = (components[v] as number) + 1;
  }
  return { components, bridges };
}

function singleEndpointServices(graph: ServiceGraph): SingleEndpointService[] {
  const result: SingleEndpointService[] = [];
  graph.forEachNode((service, attributes) => {
    if (attributes.kind !== 'service') return;
    let endpoints = 0;
    let healthyEndpoints = 0;
    graph.forEachOutEdge(service, (_e, a, _s, _t, _sa, endpoint) => {
      if (a.kind !== 'hosts') return;
      endpoints++;
      if (endpoint.health === 'healthy') healthyEndpoints++;
    });
    if (endpoints > 0 && healthyEndpoints <= 1)
      result.push({ service, endpoints, healthyEndpoints });
  });
  return result.sort((a, b) => compare(a.service, b.service));
}
