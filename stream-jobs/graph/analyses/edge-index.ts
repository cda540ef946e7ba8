import type { Horizon, NodeAttributes, ServiceGraph } from '../model.ts';
import { edgeRate } from './traffic.ts';

/**
 * The graph's structure as integer arrays (compressed rows of in- and out-edges), built in one
 * pass over graphology's node and edge lists, for analyses that walk most of the graph.
 *
 * Why: graphology keeps a node's neighbours in a plain object and walks it with for-in, ~300 ns
 * per edge in a large graph; blast radius on the 100,000-edge benchmark mesh spent ~130 ms per
 * call walking it. These lists take ~40 ms to build for 120,000 edges (mostly the key → id
 * lookups), then a few ns per edge to walk. Each edge's rate at one horizon and its kind are read once,
 * here, into typed arrays: reading them off the attribute objects again on every visit costs a
 * cache miss or two each.
 *
 * Order: each node's edges come in the order graphology's `forEachInEdge` / `forEachOutEdge`
 * give them, so sums over them (and so every float an analysis derives) are the same. That
 * order is the neighbour object's property order: neighbours whose key is an array index
 * ("0", "42") first, ascending, then the others in the order their edges were added, which is
 * the global edge order (graphology adds and drops an edge in both at once).
 */
export interface EdgeIndex {
  /** Node id → key and attributes; ids follow graphology's node order. */
  readonly keys: readonly string[];
  readonly nodes: readonly NodeAttributes[];
  readonly ids: ReadonlyMap<string, number>;
  /** Edge id → its ends (node ids); ids follow graphology's edge order. */
  readonly source: Int32Array;
  readonly target: Int32Array;
  /** Edge id → edgeRate at the index's horizon, and 1 for a `hosts` edge (0: `calls`). */
  readonly rate: Float64Array;
  readonly hosts: Uint8Array;
  /** Node v's in-edges are inEdges[inStart[v] … inEnd[v]); the same for out-edges. */
  readonly inStart: ArrayLike<number>;
  readonly inEnd: ArrayLike<number>;
  readonly inEdges: ArrayLike<number>;
  readonly outStart: ArrayLike<number>;
  readonly outEnd: ArrayLike<number>;
  readonly outEdges: ArrayLike<number>;
}

export function edgeIndex(graph: ServiceGraph, horizon: Horizon): EdgeIndex {
  const keys: string[] = [];
  const nodes: NodeAttributes[] = [];
  const ids = new Map<string, number>();
  graph.forEachNode((key, attributes) => {
    ids.set(key, keys.length);
    keys.push(key);
    nodes.push(attributes);
  });
  const source = new Int32Array(graph.size);
  const target = new Int32Array(graph.size);
  const rate = new Float64Array(graph.size);
  const hosts = new Uint8Array(graph.size);
  let e = 0;
  graph.forEachEdge((_key, attributes, s, t) => {
    source[e] = ids.get(s) as number;
    target[e] = ids.get(t) as number;
    rate[e] = edgeRate(attributes, horizon);
    hosts[e] = attributes.kind === 'hosts' ? 1 : 0;
    e++;
  });
  const [inStart, inEdges] = rows(keys.length, target);
  const [outStart, outEdges] = rows(keys.length, source);
  const numeric = keys.map(arrayIndex);
  if (numeric.some((n) => n >= 0)) {
    reorder(inStart, inEdges, source, numeric);
    reorder(outStart, outEdges, target, numeric);
  }
  const [inEnd, outEnd] = [inStart.subarray(1), outStart.subarray(1)];
  return {
    ...{ keys, nodes, ids, source, target, rate, hosts },
    ...{ inStart, inEnd, inEdges, outStart, outEnd, outEdges },
  };
}

/** Edge ids grouped by `owner[edge]` (counting sort: edge order kept within a group). */
function rows(n: number, owner: Int32Array): [Int32Array, Int32Array] {
  const start = new Int32Array(n + 1);
  for (let e = 0; e < owner.length; e++) {
    const v = (owner[e] as number) + 1;
    start[v] = (start[v] as number) + 1;
  }
  for (let v = 0; v < n; v++) start[v + 1] = (start[v + 1] as number) + (start[v] as number);
  const next = start.slice(0, n);
  const list = new Int32Array(owner.length);
  for (let e = 0; e < owner.length; e++) {
    const v = owner[e] as number;
    list[next[v] as number] = e;
    next[v] = (next[v] as number) + 1;
  }
  return [start, list];
}

/** The key as an array index (property order puts those first), else −1. */
function arrayIndex(key: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(key)) return -1;
  const n = Number(key);
  return n < 2 ** 32 - 1 ? n : -1;
}

/** Within each row, neighbours keyed by array indices first, ascending; the rest stay in order. */
function reorder(start: Int32Array, list: Int32Array, other: Int32Array, numeric: number[]): void {
  // Non-index neighbours sort after every index (2³² − 1 is above them all) and, the sort being
  // stable, keep their order.
  const rank = (e: number) => {
    const n = numeric[other[e] as number] as number;
    return n < 0 ? 2 ** 32 : n;
  };
  for (let v = 0; v + 1 < start.length; v++) {
    const row = Array.from(list.subarray(start[v], start[v + 1]));
    row.sort((a, b) => rank(a) - rank(b));
    list.set(row, start[v]);
  }
}
