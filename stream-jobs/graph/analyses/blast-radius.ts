import type { Horizon, NodeAttributes, NodeKind, ServiceGraph } from '../model.ts';
import { type IsFailing, shareSystem, walkCallers } from './blast-radius-walk.ts';
import { callerIndex } from './caller-index.ts';
import { type EdgeIndex, edgeIndex } from './edge-index.ts';
import { GraphAnalysisError, type GraphAnalysisErrorCode, quote } from './errors.ts';
import { propagate } from './propagate.ts';
import { compare, isEntrypoint, nodeTraffic } from './traffic.ts';
import { checkHorizon, checkNode, checkParams } from './validate.ts';

const method = 'blastRadius';

/** A failing node (service, virtual peer or one endpoint), or one failing caller→callee edge. */
export type BlastRadiusParams = { node: string } | { edge: { source: string; target: string } };

/** - `horizon` (Horizon, default '5m'): the stats whose rates split each caller's traffic. */
export interface BlastRadiusOptions {
  horizon?: Horizon;
}

export interface AffectedNode {
  node: string;
  kind: NodeKind;
  /** Calls from this node to the failing element along the shortest route (direct caller: 1). */
  depth: number;
  /** Share of this node's traffic whose calls reach the failing element, 0..1. */
  share: number;
  /** `share` × this node's traffic (inbound rate; outbound for a node nothing calls), req/s. */
  affectedRate: number;
}

export interface BlastRadius {
  target: BlastRadiusParams;
  horizon: Horizon;
  /** Every transitive caller, nearest first, then by share. */
  callers: AffectedNode[];
  /** The affected entrypoints (ingress, uncalled roots, services an ingress calls). */
  entrypoints: AffectedNode[];
  /** False only if a call cycle kept the shares moving (see propagate.ts). */
  converged: boolean;
}

/**
 * Everything that fails with a node or an edge. Model: a request at a caller follows one of its
 * `calls` edges in proportion to their rates, so a caller's affected share is the probability
 * that such a walk reaches the failing element: the rate-weighted mix of its callees' shares
 * (the element itself 1, an endpoint its share of its service's `hosts` traffic).
 * Complexity: O(A + E_A) over the callers A and their edges, plus sweeps on call cycles; when
 * E_A passes a quarter of the graph, O(V + E) for one pass over the edge list instead
 * (edge-index.ts, caller-index.ts).
 */
export function blastRadius(
  graph: ServiceGraph,
  params: BlastRadiusParams,
  options: BlastRadiusOptions = {},
): BlastRadius {
  const p = checkParams<{ node?: unknown; edge?: { source?: unknown; target?: unknown } }>(
    method,
    params,
  );
  const horizon = checkHorizon(method, options.horizon);
  checkElement(graph, p);

  const originKey = 'node' in p ? (p.node as string) : (p.edge?.source as string);
  // Node by node off graphology while the callers' edges are few (20,000, or a quarter of the
  // graph), else one pass over all edges (edge-index.ts): at 120,000 edges that pass costs
  // ~40 ms, against ~170 ms walking most of the graph node by node.
  const budget = Math.max(20_000, graph.size / 4);
  const g = callerIndex(graph, horizon, originKey, budget) ?? edgeIndex(graph, horizon);
  // On node ids from here: the walks (blast-radius-walk.ts), then the shares.
  const { nodes } = g;
  const origin = g.ids.get(originKey) as number;
  const { order, depth, inbound, entry } = walkCallers(g, origin, 'node' in p);
  const { system, outbound } = shareSystem(g, order, failing(g, origin, p));
  const { values, converged } = propagate(system);

  const callers: AffectedNode[] = [];
  const entrypoints: AffectedNode[] = [];
  order.forEach((node, i) => {
    const share = values[i] as number;
    const traffic = (inbound[i] as number) > 0 ? (inbound[i] as number) : (outbound[i] as number);
    const affected = {
      node: g.keys[node] as string,
      kind: (nodes[node] as NodeAttributes).kind,
      depth: depth[node] as number,
      share,
      affectedRate: share * traffic,
    };
    callers.push(affected);
    if (entry[i]) entrypoints.push(affected);
  });
  callers.sort((a, b) => a.depth - b.depth || b.share - a.share || compare(a.node, b.node));
  if ('node' in p && isEntrypoint(graph, originKey)) {
    const traffic = nodeTraffic(graph, originKey, horizon);
    const { kind } = nodes[origin] as NodeAttributes;
    entrypoints.push({ node: originKey, kind, depth: 0, share: 1, affectedRate: traffic });
  }
  entrypoints.sort((a, b) => b.share - a.share || compare(a.node, b.node));
  return { target: params, horizon, callers, entrypoints, converged };
}

/** "Is this edge the way into the failure?", on the index's node ids (params checked before). */
function failing(
  g: EdgeIndex,
  origin: number,
  p: { node?: unknown; edge?: { source?: unknown; target?: unknown } },
): IsFailing {
  if ('node' in p) return (_source, target) => target === origin;
  const to = g.ids.get(p.edge?.target as string) as number;
  let kind: 'calls' | 'hosts' = 'calls';
  for (let k = g.outStart[origin] as number; k < (g.outEnd[origin] as number); k++) {
    const e = g.outEdges[k] as number;
    if (g.target[e] === to) kind = g.hosts[e] === 1 ? 'hosts' : 'calls';
  }
  return (s, t, k) => s === origin && t === to && k === kind;
}

/** Checks the params against the graph: one existing node, or one existing edge. */
function checkElement(
  graph: ServiceGraph,
  p: { node?: unknown; edge?: { source?: unknown; target?: unknown } },
): void {
  const fail = (code: GraphAnalysisErrorCode, value: unknown, detail: string) =>
    new GraphAnalysisError(method, code, value, detail);
  if ('node' in p === 'edge' in p) {
    throw fail('INVALID_PARAMS', p, `params ${quote(p)} must name exactly one of node or edge.`);
  }
  if ('node' in p) {
    checkNode(graph, method, p.node);
    return;
  }
  const edge = p.edge;
  if (typeof edge !== 'object' || edge === null) {
    throw fail('INVALID_PARAMS', edge, `the edge ${quote(edge)} must be { source, target }.`);
  }
  const source = checkNode(graph, method, edge.source);
  const target = checkNode(graph, method, edge.target);
  if (!graph.hasDirectedEdge(source, target)) {
    const detail = `there is no edge ${quote(source)} → ${quote(target)} in the graph.`;
    throw fail('UNKNOWN_EDGE', edge, detail);
  }
}
