import type { NodeAttributes } from '../model.ts';
import type { EdgeIndex } from './edge-index.ts';
import { LinearSystem } from './propagate.ts';

/**
 * The two walks of blast radius (blast-radius.ts) over integer adjacency (edge-index.ts): the
 * callers, then their shares as a linear system. Plain locals and typed arrays throughout: the
 * walks cover most of a layered mesh, ~100,000 edges per call.
 */

/** "Is this edge (node ids) the way into the failure?" */
export type IsFailing = (source: number, target: number, kind: 'calls' | 'hosts') => boolean;

export interface CallerWalk {
  /** Callers (node ids) in BFS order: the rows of the share system. */
  order: number[];
  /** Node id → calls to the failing element on the shortest route; 0 for non-callers. */
  depth: Int32Array;
  /** Per caller (in `order`): inbound rate, and whether it is an entrypoint. */
  inbound: number[];
  entry: boolean[];
}

/**
 * Transitive callers of `origin` by BFS over in-edges: from a failing node every in-neighbour
 * (an endpoint's service through `hosts`), `calls` edges after; from a failing edge its source,
 * then `calls`. The same pass sums each caller's inbound traffic and tells whether it is an
 * entrypoint (an ingress, nothing calls it, or an ingress calls it).
 */
export function walkCallers(g: EdgeIndex, origin: number, fromNode: boolean): CallerWalk {
  const { nodes, source, rate: rates, hosts } = g;
  const order: number[] = [];
  const depth = new Int32Array(nodes.length);
  const visit = (node: number, d: number) => {
    if (depth[node] !== 0 || (fromNode && node === origin)) return;
    depth[node] = d;
    order.push(node);
  };
  if (fromNode) {
    for (let k = g.inStart[origin] as number; k < (g.inEnd[origin] as number); k++) {
      visit(source[g.inEdges[k] as number] as number, 1);
    }
  } else visit(origin, 1);
  const inbound: number[] = [];
  const entry: boolean[] = [];
  for (let head = 0; head < order.length; head++) {
    const node = order[head] as number;
    const d = (depth[node] as number) + 1;
    let rate = 0;
    let callers = 0;
    let fromIngress = false;
    for (let k = g.inStart[node] as number; k < (g.inEnd[node] as number); k++) {
      const e = g.inEdges[k] as number;
      rate += rates[e] as number;
      if (hosts[e] === 1) continue;
      callers++;
      const caller = source[e] as number;
      fromIngress ||= (nodes[caller] as NodeAttributes).kind === 'ingress';
      visit(caller, d);
    }
    const { kind } = nodes[node] as NodeAttributes;
    inbound.push(rate);
    entry.push(kind === 'ingress' || (kind !== 'endpoint' && (callers === 0 || fromIngress)));
  }
  return { order, depth, inbound, entry };
}

/**
 * Each caller's share = Σ split × (1 at the failing element | callee's share | 0 elsewhere),
 * one row per caller in `order`; `outbound` is each caller's total `calls` rate.
 */
export function shareSystem(
  g: EdgeIndex,
  order: readonly number[],
  isFailing: IsFailing,
): { system: LinearSystem; outbound: number[] } {
  const { target, rate: rates, hosts } = g;
  const row = new Int32Array(g.nodes.length).fill(-1);
  order.forEach((node, i) => {
    row[node] = i;
  });
  const system = new LinearSystem();
  const outbound: number[] = [];
  for (const node of order) {
    // Both kinds' totals in one pass, then the row. Plain locals, not totals keyed by kind: a
    // keyed update with alternating keys made this loop 3× slower.
    const from = g.outStart[node] as number;
    const to = g.outEnd[node] as number;
    let calls = 0;
    let hostsRate = 0;
    let nCalls = 0;
    let nHosts = 0;
    for (let k = from; k < to; k++) {
      const e = g.outEdges[k] as number;
      const rate = rates[e] as number;
      if (hosts[e] === 0) {
        calls += rate;
        nCalls++;
      } else {
        hostsRate += rate;
        nHosts++;
      }
    }
    outbound.push(calls);
    let fixed = 0;
    for (let k = from; k < to; k++) {
      const e = g.outEdges[k] as number;
      const kind = hosts[e] === 1 ? 'hosts' : 'calls';
      const sum = kind === 'calls' ? calls : hostsRate;
      // Split by rate; an idle caller splits evenly, so a newly seen edge still counts.
      const share = sum > 0 ? (rates[e] as number) / sum : 1 / (kind === 'calls' ? nCalls : nHosts);
      const callee = target[e] as number;
      if (isFailing(node, callee, kind)) fixed += share;
      else if (kind === 'calls' && (row[callee] as number) >= 0) {
        system.addTerm(row[callee] as number, share);
      }
    }
    system.endRow(fixed);
  }
  return { system, outbound };
}
