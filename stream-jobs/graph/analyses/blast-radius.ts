import type { Horizon, NodeKind, ServiceGraph } from '../model.ts';
import { GraphAnalysisError, type GraphAnalysisErrorCode, quote } from './errors.ts';
import { LinearSystem, propagate } from './propagate.ts';
import { compare, edgeRate, isEntrypoint, nodeTraffic } from './traffic.ts';
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
 * Complexity: O(A + E_A) over the callers A and their out-edges, plus sweeps on call cycles.
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
  const isFailing = failingElement(graph, p);

  // Transitive callers by BFS over in-edges (only the target may be reached through `hosts`).
  // The same pass sums each caller's inbound traffic and tells whether it is an entrypoint.
  const origin = 'node' in p ? (p.node as string) : (p.edge?.source as string);
  const order: string[] = [];
  const depth = new Map<string, number>();
  const visit = (node: string, d: number) => {
    if (depth.has(node) || ('node' in p && node === origin)) return;
    depth.set(node, d);
    order.push(node);
  };
  if ('node' in p) graph.forEachInNeighbor(origin, (caller) => visit(caller, 1));
  else visit(origin, 1);
  const inbound: number[] = [];
  const entry: boolean[] = [];
  for (let head = 0; head < order.length; head++) {
    const node = order[head] as string;
    const d = (depth.get(node) as number) + 1;
    let rate = 0;
    let callers = 0;
    let fromIngress = false;
    graph.forEachInEdge(node, (_e, a, caller, _t, callerAttributes) => {
      rate += edgeRate(a, horizon);
      if (a.kind !== 'calls') return;
      callers++;
      fromIngress ||= callerAttributes.kind === 'ingress';
      visit(caller, d);
    });
    const { kind } = graph.getNodeAttributes(node);
    inbound.push(rate);
    entry.push(kind === 'ingress' || (kind !== 'endpoint' && (callers === 0 || fromIngress)));
  }

  // Each caller's share = Σ split × (1 at the failing element | callee's share | 0 elsewhere).
  const index = new Map(order.map((node, i) => [node, i]));
  const system = new LinearSystem();
  const outbound: number[] = [];
  const total = { calls: 0, hosts: 0 };
  const count = { calls: 0, hosts: 0 };
  for (const node of order) {
    // Both kinds' totals in one pass, then the row; no per-edge objects on this hot path.
    total.calls = total.hosts = count.calls = count.hosts = 0;
    graph.forEachOutEdge(node, (_e, a) => {
      total[a.kind] += edgeRate(a, horizon);
      count[a.kind]++;
    });
    outbound.push(total.calls);
    let fixed = 0;
    const terms: Array<[number, number]> = [];
    graph.forEachOutEdge(node, (_e, a, _s, target) => {
      // Split by rate; an idle caller splits evenly, so a newly seen edge still counts.
      const share = total[a.kind] > 0 ? edgeRate(a, horizon) / total[a.kind] : 1 / count[a.kind];
      if (isFailing(node, target, a.kind)) fixed += share;
      else if (a.kind === 'calls') {
        const j = index.get(target);
        if (j !== undefined) terms.push([j, share]);
      }
    });
    system.addRow(fixed, terms);
  }
  const { values, converged } = propagate(system);

  const callers: AffectedNode[] = [];
  const entrypoints: AffectedNode[] = [];
  order.forEach((node, i) => {
    const share = values[i] as number;
    const traffic = (inbound[i] as number) > 0 ? (inbound[i] as number) : (outbound[i] as number);
    const kind = graph.getNodeAttribute(node, 'kind');
    const affected = {
      node,
      kind,
      depth: depth.get(node) as number,
      share,
      affectedRate: share * traffic,
    };
    callers.push(affected);
    if (entry[i]) entrypoints.push(affected);
  });
  callers.sort((a, b) => a.depth - b.depth || b.share - a.share || compare(a.node, b.node));
  if ('node' in p && isEntrypoint(graph, origin)) {
    const traffic = nodeTraffic(graph, origin, horizon);
    const { kind } = graph.getNodeAttributes(origin);
    entrypoints.push({ node: origin, kind, depth: 0, share: 1, affectedRate: traffic });
  }
  entrypoints.sort((a, b) => b.share - a.share || compare(a.node, b.node));
  return { target: params, horizon, callers, entrypoints, converged };
}

type IsFailing = (source: string, target: string, kind: 'calls' | 'hosts') => boolean;

/** Checks the params against the graph and returns "is this edge the way into the failure?". */
function failingElement(
  graph: ServiceGraph,
  p: { node?: unknown; edge?: { source?: unknown; target?: unknown } },
): IsFailing {
  const fail = (code: GraphAnalysisErrorCode, value: unknown, detail: string) =>
    new GraphAnalysisError(method, code, value, detail);
  if ('node' in p === 'edge' in p) {
    throw fail('INVALID_PARAMS', p, `params ${quote(p)} must name exactly one of node or edge.`);
  }
  if ('node' in p) {
    const node = checkNode(graph, method, p.node);
    return (_source, target) => target === node;
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
  const kind = graph.getEdgeAttribute(source, target, 'kind');
  return (s, t, k) => s === source && t === target && k === kind;
}
