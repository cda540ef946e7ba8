import type { EdgeAttributes, Horizon, NodeAttributes, ServiceGraph } from '../model.ts';
import type { EdgeIndex } from './edge-index.ts';
import { edgeRate } from './traffic.ts';

/**
 * The lists of edge-index.ts for part of the graph, read node by node from graphology (so in its order):
 * in-edges of `origin` and, transitively, of every caller reached through them (any kind from
 * the origin, `calls` after), then the out-edges of all of those. Other nodes get ids with no
 * edges. Undefined once more than `budget` edges were read: past some share of the graph one
 * pass over the whole edge list (edgeIndex) is cheaper than graphology's per-node walk.
 */
export function callerIndex(
  graph: ServiceGraph,
  horizon: Horizon,
  origin: string,
  budget: number,
): EdgeIndex | undefined {
  const keys: string[] = [];
  const nodes: NodeAttributes[] = [];
  const ids = new Map<string, number>();
  const id = (key: string, attributes: NodeAttributes) => {
    let v = ids.get(key);
    if (v === undefined) {
      v = keys.length;
      ids.set(key, v);
      keys.push(key);
      nodes.push(attributes);
    }
    return v;
  };
  const source: number[] = [];
  const target: number[] = [];
  const rate: number[] = [];
  const hosts: number[] = [];
  const inStart: number[] = [];
  const inEnd: number[] = [];
  const outStart: number[] = [];
  const outEnd: number[] = [];
  const add = (s: number, t: number, attributes: EdgeAttributes) => {
    source.push(s);
    target.push(t);
    rate.push(edgeRate(attributes, horizon));
    hosts.push(attributes.kind === 'hosts' ? 1 : 0);
  };
  const queue = [id(origin, graph.getNodeAttributes(origin))];
  const queued = new Set(queue);
  for (let head = 0; head < queue.length && source.length <= budget; head++) {
    const v = queue[head] as number;
    inStart[v] = source.length;
    graph.forEachInEdge(keys[v] as string, (_e, a, s, _t, sa) => {
      const u = id(s, sa);
      add(u, v, a);
      if ((head === 0 || a.kind === 'calls') && !queued.has(u)) {
        queued.add(u);
        queue.push(u);
      }
    });
    inEnd[v] = source.length;
  }
  for (const v of queue) {
    if (source.length > budget) return undefined;
    outStart[v] = source.length;
    graph.forEachOutEdge(keys[v] as string, (_e, a, _s, t, _sa, ta) => add(v, id(t, ta), a));
    outEnd[v] = source.length;
  }
  // Each edge was read once per list it is in: an edge id per list entry, in list order.
  const list = Int32Array.from(source, (_, e) => e);
  const bounds = (at: number[]) => Int32Array.from(keys, (_, v) => at[v] ?? 0);
  return {
    ...{ keys, nodes, ids, rate: Float64Array.from(rate), hosts: Uint8Array.from(hosts) },
    ...{ source: Int32Array.from(source), target: Int32Array.from(target) },
    ...{ inStart: bounds(inStart), inEnd: bounds(inEnd), inEdges: list },
    ...{ outStart: bounds(outStart), outEnd: bounds(outEnd), outEdges: list },
  };
}
