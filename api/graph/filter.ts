import { compare, edgeRate } from '../../stream-jobs/graph/analyses/traffic.ts';
import {
  type EdgeAttributes,
  type Horizon,
  horizonMs,
  type ServiceGraph,
} from '../../stream-jobs/graph/model.ts';
import {
  type EdgeView,
  edgeView,
  type NodeView,
  nodeView,
} from '../../stream-jobs/graph/snapshot.ts';

/**
 * What `/v1/graph` shows of a graph.
 * - `service` (string, optional): the centre; only nodes within `depth` links of it (either
 *   direction, `calls` and `hosts` alike) are kept. The centre itself is always kept.
 * - `depth` (number): link distance from the centre; ignored without `service`.
 * - `search` (string, optional): keep nodes whose key contains it, case-insensitive.
 * - `horizon` (Horizon): only edges seen within it count (`lastSeenMs ≥ atMs − horizon`), as
 *   history.ts keeps only edges with traffic in [T − horizon, T]; a node shows when one of its
 *   edges does. The live fold keeps an edge for an hour, so without this a 1 m view would
 *   still draw calls that stopped 50 minutes ago.
 * - `atMs` (number): the graph's evaluation time.
 * - `limit` (number): most nodes returned; the nearest to the centre, then the busiest (rate
 *   over the node's visible edges at `horizon`), then by key, so a cut keeps what matters.
 */
export interface GraphFilter {
  service?: string | undefined;
  depth: number;
  search?: string | undefined;
  horizon: Horizon;
  atMs: number;
  limit: number;
}

export interface FilteredGraph {
  nodes: NodeView[];
  edges: EdgeView[];
  /** Nodes that passed the filters, before `limit`. */
  matched: number;
  truncated: boolean;
}

/**
 * Filters first, copies last: only the kept nodes and the edges between them are turned into
 * JSON views, so a 10,000-node graph costs one pass over its edges (or over the centre's
 * neighbourhood) plus a sort of the matches. The centre must be in the graph (checked by the
 * caller, which answers 404).
 */
export function filterGraph(graph: ServiceGraph, filter: GraphFilter): FilteredGraph {
  const since = filter.atMs - horizonMs[filter.horizon];
  const visible = (attributes: EdgeAttributes) => attributes.lastSeenMs >= since;
  const rate = (attributes: EdgeAttributes) => edgeRate(attributes, filter.horizon);
  const { distance, traffic } =
    filter.service === undefined
      ? everyVisibleNode(graph, visible, rate)
      : neighbourhood(graph, filter.service, filter.depth, visible, rate);

  const needle = filter.search?.toLowerCase();
  const matches = [...distance.keys()].filter(
    (key) => needle === undefined || key === filter.service || key.toLowerCase().includes(needle),
  );
  const at = (map: Map<string, number>, key: string) => map.get(key) ?? 0;
  matches.sort(
    (a, b) => at(distance, a) - at(distance, b) || at(traffic, b) - at(traffic, a) || compare(a, b),
  );

  const kept = matches.slice(0, filter.limit);
  const keep = new Set(kept);
  const edges: EdgeView[] = [];
  for (const node of kept) {
    graph.forEachOutEdge(node, (key, attributes, source, target) => {
      if (keep.has(target) && visible(attributes)) {
        edges.push(edgeView(key, source, target, attributes));
      }
    });
  }
  return {
    nodes: kept.map((key) => nodeView(key, graph.getNodeAttributes(key))),
    edges,
    matched: matches.length,
    truncated: kept.length < matches.length,
  };
}

type Visible = (attributes: EdgeAttributes) => boolean;
type Rate = (attributes: EdgeAttributes) => number;
/** Each candidate's link distance from the centre, and its traffic (req/s over visible edges). */
type Candidates = { distance: Map<string, number>; traffic: Map<string, number> };

function add(traffic: Map<string, number>, node: string, rate: number): void {
  traffic.set(node, (traffic.get(node) ?? 0) + rate);
}

/** Every node with a visible edge, all at distance 0; one pass over the edges. */
function everyVisibleNode(graph: ServiceGraph, visible: Visible, rate: Rate): Candidates {
  const distance = new Map<string, number>();
  const traffic = new Map<string, number>();
  graph.forEachEdge((_key, attributes, source, target) => {
    if (!visible(attributes)) return;
    const r = rate(attributes);
    distance.set(source, 0).set(target, 0);
    add(traffic, source, r);
    add(traffic, target, r);
  });
  return { distance, traffic };
}

/**
 * Breadth-first over visible edges in both directions, up to `depth` links from `centre`. Only
 * the neighbourhood is visited (plus the edges of its outer ring, for their traffic).
 */
function neighbourhood(
  graph: ServiceGraph,
  centre: string,
  depth: number,
  visible: Visible,
  rate: Rate,
): Candidates {
  const distance = new Map([[centre, 0]]);
  const traffic = new Map<string, number>();
  let frontier = [centre];
  for (let d = 1; frontier.length > 0; d++) {
    const next: string[] = [];
    for (const node of frontier) {
      graph.forEachEdge(node, (_key, attributes, source, target) => {
        if (!visible(attributes)) return;
        add(traffic, node, rate(attributes));
        const other = source === node ? target : source;
        if (d > depth || distance.has(other)) return;
        distance.set(other, d);
        next.push(other);
      });
    }
    frontier = next;
  }
  return { distance, traffic };
}
