import type { NodeKind, ServiceGraph } from '../model.ts';
import { compare, isStructural } from './traffic.ts';
import { checkBoolean, checkNode, checkNumber, checkParams } from './validate.ts';

const method = 'dependencies';

export interface DependenciesParams {
  node: string;
}

/**
 * - `maxDepth` (integer ≥ 1 or Infinity, default Infinity): stop this many calls away.
 * - `includeEndpoints` (boolean, default false): also list the endpoints of each dependency
 *   (and of the node itself), one step below their service.
 */
export interface DependenciesOptions {
  maxDepth?: number;
  includeEndpoints?: boolean;
}

export interface Dependency {
  node: string;
  kind: NodeKind;
  /** Fewest `calls` from the node to this dependency (an endpoint: its service's depth + 1). */
  depth: number;
}

export interface Dependencies {
  node: string;
  /** The downstream closure, nearest first, then by name. */
  dependencies: Dependency[];
}

/**
 * Everything a node needs, directly or transitively: BFS over outbound `calls` edges, so depth
 * is the shortest number of calls. Complexity O(V + E) of the closure; no stats are read.
 */
export function dependencies(
  graph: ServiceGraph,
  params: DependenciesParams,
  options: DependenciesOptions = {},
): Dependencies {
  const p = checkParams<{ node: unknown }>(method, params, ['node']);
  const node = checkNode(graph, method, p.node);
  const maxDepth = checkNumber(method, 'maxDepth', options.maxDepth, Infinity, {
    min: 1,
    integer: true,
  });
  const includeEndpoints = checkBoolean(
    method,
    'includeEndpoints',
    options.includeEndpoints,
    false,
  );

  const depth = new Map<string, number>([[node, 0]]);
  const order = [node];
  for (let head = 0; head < order.length; head++) {
    const current = order[head] as string;
    const d = (depth.get(current) as number) + 1;
    if (d > maxDepth) break; // BFS order: every later node is at least as deep
    graph.forEachOutEdge(current, (_e, a, _s, target, _sa, targetAttributes) => {
      if (a.kind !== 'calls' || depth.has(target) || !isStructural(targetAttributes)) return;
      depth.set(target, d);
      order.push(target);
    });
  }

  const result: Dependency[] = [];
  for (const dependency of order) {
    const d = depth.get(dependency) as number;
    if (dependency !== node) {
      result.push({ node: dependency, kind: graph.getNodeAttribute(dependency, 'kind'), depth: d });
    }
    if (!includeEndpoints || d + 1 > maxDepth) continue;
    graph.forEachOutEdge(dependency, (_e, a, _s, endpoint) => {
      if (a.kind === 'hosts') result.push({ node: endpoint, kind: 'endpoint', depth: d + 1 });
    });
  }
  result.sort((a, b) => a.depth - b.depth || compare(a.node, b.node));
  return { node, dependencies: result };
}
