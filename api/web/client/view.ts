import { DirectedGraph } from 'graphology';
import { circular } from 'graphology-layout';
import forceAtlas2Module from 'graphology-layout-forceatlas2';
import type { Health, NodeKind } from '../../../stream-jobs/graph/model.ts';
import type { EdgeView, NodeView } from '../../../stream-jobs/graph/snapshot.ts';
import { edgeColor, healthColors } from './colors.ts';
import type { GraphModel } from './model.ts';

/**
 * What the page draws of the model. Filter first: the busiest `limit` nodes, or the
 * neighbourhood of `centre` up to `depth` links, narrowed by `search`; a 10,000-node graph
 * never reaches the renderer whole.
 */
export interface ViewFilter {
  mode: 'top' | 'around';
  limit: number;
  centre?: string | undefined;
  depth: number;
  search?: string | undefined;
  endpoints: boolean;
}

export interface NodeAttrs {
  x: number;
  y: number;
  size: number;
  color: string;
  label: string;
  health: Health;
  kind: NodeKind;
}

export interface EdgeAttrs {
  size: number;
  color: string;
  type: 'arrow';
}

// The package is CommonJS typed as an ES module: TypeScript (NodeNext) finds the layout under
// `.default`, esbuild hands over module.exports itself.
const forceAtlas2 = ('default' in forceAtlas2Module
  ? forceAtlas2Module.default
  : forceAtlas2Module) as unknown as typeof forceAtlas2Module.default;

export type DisplayGraph = DirectedGraph<NodeAttrs, EdgeAttrs>;

/**
 * The graphology instance the renderer draws, kept in step with the model by differences:
 * `reconcile` adds and drops only the nodes and edges that entered or left the filter, and
 * `update*` merge new attributes into what is drawn. Sigma redraws what changed.
 */
export class GraphView {
  readonly graph: DisplayGraph = new DirectedGraph<NodeAttrs, EdgeAttrs>({ allowSelfLoops: false });
  filter: ViewFilter = { mode: 'top', limit: 150, depth: 2, endpoints: true };
  /** Nodes drawn whatever the filter says: the selection, an analysis's result. */
  readonly pinned = new Set<string>();
  /** Each node's traffic as of the last `wanted()`: node sizes follow it between reconciles. */
  #traffic = new Map<string, number>();

  constructor(public model: GraphModel) {}

  /** The nodes the filter keeps, most important first. */
  wanted(): string[] {
    const { model, filter } = this;
    const traffic = model.traffic();
    this.#traffic = traffic;
    const needle = filter.search?.trim().toLowerCase() || undefined;
    const keep = (node: NodeView) =>
      (filter.endpoints || node.kind !== 'endpoint') &&
      (needle === undefined || node.key.toLowerCase().includes(needle));
    let ranked: string[];
    if (filter.mode === 'around' && filter.centre !== undefined) {
      ranked = this.#around(filter.centre, filter.depth, traffic).filter((key) => {
        const node = model.nodes.get(key);
        return key === filter.centre || (node !== undefined && keep(node));
      });
    } else {
      ranked = [...traffic.keys()]
        .filter((key) => {
          const node = model.nodes.get(key);
          return node !== undefined && keep(node);
        })
        .sort((a, b) => (traffic.get(b) ?? 0) - (traffic.get(a) ?? 0) || (a < b ? -1 : 1));
    }
    const kept = new Set(ranked.slice(0, filter.limit));
    for (const key of this.pinned) if (model.nodes.has(key)) kept.add(key);
    return [...kept];
  }

  /**
   * Brings the drawn graph to the filter's nodes, and what stays drawn to the model's values
   * (sizes follow traffic; after a switch to or from the past, every colour changes);
   * true when it added nodes (layout needed).
   */
  reconcile(): boolean {
    const { graph, model } = this;
    const want = new Set(this.wanted());
    for (const key of graph.nodes()) {
      const node = model.nodes.get(key);
      if (!want.has(key) || !node) graph.dropNode(key);
      else graph.mergeNodeAttributes(key, this.nodeAttrs(node));
    }
    graph.forEachEdge((key) => {
      const edge = model.edges.get(key);
      if (!edge || !model.isRecent(edge)) graph.dropEdge(key);
      else graph.mergeEdgeAttributes(key, edgeAttrs(edge));
    });
    let added = false;
    for (const key of want) {
      if (graph.hasNode(key)) continue;
      const node = model.nodes.get(key);
      if (node) {
        graph.addNode(key, { ...this.#place(key), ...this.nodeAttrs(node) });
        added = true;
      }
    }
    for (const key of want) {
      for (const edge of model.incident(key)) {
        if (!graph.hasEdge(edge.key) && want.has(edge.source) && want.has(edge.target)) {
          graph.addDirectedEdgeWithKey(edge.key, edge.source, edge.target, edgeAttrs(edge));
        }
      }
    }
    return added;
  }

  /** A full layout (first load, filter change): circle, then ForceAtlas2 for a bounded time. */
  layout(): void {
    const { graph } = this;
    if (graph.order === 0) return;
    circular.assign(graph, { scale: 100 });
    const settings = forceAtlas2.inferSettings(graph);
    forceAtlas2.assign(graph, {
      iterations: graph.order > 500 ? 40 : 120,
      settings: { ...settings, barnesHutOptimize: graph.order > 300 },
    });
  }

  /**
   * New stats of a drawn edge: its width and colour now. The ends' sizes wait for the next
   * reconcile: a hub's traffic sums thousands of edges, too much to redo on every event.
   */
  updateEdge(key: string): void {
    const edge = this.model.edges.get(key);
    if (edge && this.graph.hasEdge(key)) this.graph.mergeEdgeAttributes(key, edgeAttrs(edge));
  }

  updateNode(key: string): void {
    const node = this.model.nodes.get(key);
    if (node && this.graph.hasNode(key)) this.graph.mergeNodeAttributes(key, this.nodeAttrs(node));
  }

  nodeAttrs(node: NodeView): Omit<NodeAttrs, 'x' | 'y'> {
    const traffic = this.#traffic.get(node.key) ?? 0;
    const base = node.kind === 'endpoint' ? 3 : 6;
    return {
      size: base + Math.min(10, 2 * Math.log10(1 + traffic)),
      color: healthColors[node.health],
      label: node.kind === 'endpoint' ? (node.endpoint ?? node.key) : node.key,
      health: node.health,
      kind: node.kind,
    };
  }

  /** Breadth-first from `centre` over recent edges, either direction; nearest, then busiest. */
  #around(centre: string, depth: number, traffic: Map<string, number>): string[] {
    if (!this.model.nodes.has(centre)) return [];
    const distance = new Map([[centre, 0]]);
    let frontier = [centre];
    for (let d = 1; d <= depth && frontier.length > 0; d++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const edge of this.model.incident(node)) {
          const other = edge.source === node ? edge.target : edge.source;
          if (distance.has(other)) continue;
          distance.set(other, d);
          next.push(other);
        }
      }
      frontier = next;
    }
    const at = (key: string) => distance.get(key) ?? 0;
    return [...distance.keys()].sort(
      (a, b) => at(a) - at(b) || (traffic.get(b) ?? 0) - (traffic.get(a) ?? 0) || (a < b ? -1 : 1),
    );
  }

  /** A new node goes next to its drawn neighbours, so live additions do not reshuffle the rest. */
  #place(key: string): { x: number; y: number } {
    let x = 0;
    let y = 0;
    let n = 0;
    for (const edge of this.model.incident(key)) {
      const other = edge.source === key ? edge.target : edge.source;
      if (!this.graph.hasNode(other)) continue;
      x += this.graph.getNodeAttribute(other, 'x');
      y += this.graph.getNodeAttribute(other, 'y');
      n++;
    }
    const jitter = () => (Math.random() - 0.5) * 20;
    return n > 0
      ? { x: x / n + jitter(), y: y / n + jitter() }
      : { x: jitter() * 5, y: jitter() * 5 };
  }
}

export function edgeAttrs(edge: EdgeView): EdgeAttrs {
  const { rate, errorRate } = edge.stats['1m'];
  return {
    size: 1 + Math.min(7, 1.2 * Math.log2(1 + rate)),
    color: edgeColor(errorRate, edge.kind),
    type: 'arrow',
  };
}
