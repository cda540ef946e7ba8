import { ChangeFeed, StatsThrottle } from './events.ts';
import { type HealthOptions, healthOf } from './health.ts';
import {
  createServiceGraph,
  type EdgeAttributes,
  type Horizon,
  type NodeAttributes,
  type NodeKind,
  type RedStats,
  type ServiceGraph,
} from './model.ts';
import { edgeView, nodeView, statsView } from './snapshot.ts';

/**
 * Every change to the fold's graph goes through here, so each one emits its change event and
 * no path can forget to. The fold (fold.ts) decides what changes; this applies it.
 */
export class GraphWriter {
  readonly graph: ServiceGraph = createServiceGraph();
  readonly feed: ChangeFeed;
  readonly #throttle: StatsThrottle;

  constructor(
    readonly health: HealthOptions,
    statsEventIntervalMs: number,
    onListenerError?: (error: unknown) => void,
  ) {
    this.feed = new ChangeFeed(onListenerError);
    this.#throttle = new StatsThrottle(statsEventIntervalMs);
  }

  /** Adds the node, or promotes a virtual node to `kind` (a peer seen as a destination now logs). */
  ensureNode(key: string, kind: NodeKind, atMs: number, service = key, endpoint?: string): void {
    if (!this.graph.hasNode(key)) {
      const attributes: NodeAttributes = { kind, service, health: 'unknown' };
      if (endpoint !== undefined) attributes.endpoint = endpoint;
      this.graph.addNode(key, attributes);
      this.feed.emit({ type: 'node-added', atMs, node: nodeView(key, attributes) });
    } else if (kind !== 'virtual' && this.graph.getNodeAttribute(key, 'kind') === 'virtual') {
      this.graph.setNodeAttribute(key, 'kind', kind);
      this.#nodeChanged(key, atMs);
    }
  }

  /**
   * Adds the edge with its first stats (`edge-added`), or replaces its stats and moves
   * `lastSeenMs` forward (an `edge-stats` change, throttled).
   */
  upsertEdge(
    key: string,
    ends: { source: string; target: string; kind: EdgeAttributes['kind'] },
    stats: Record<Horizon, RedStats>,
    seenMs: number,
    atMs: number,
  ): void {
    if (this.graph.hasEdge(key)) {
      const lastSeenMs = Math.max(seenMs, this.graph.getEdgeAttribute(key, 'lastSeenMs'));
      this.graph.setEdgeAttribute(key, 'lastSeenMs', lastSeenMs);
      this.setStats(key, stats, atMs);
      return;
    }
    const attributes: EdgeAttributes = { kind: ends.kind, stats, lastSeenMs: seenMs };
    this.graph.addDirectedEdgeWithKey(key, ends.source, ends.target, attributes);
    this.feed.emit({
      type: 'edge-added',
      atMs,
      edge: edgeView(key, ends.source, ends.target, attributes),
    });
    this.#throttle.sent(key, atMs);
  }

  /** Replaces an edge's stats; the change goes out now or with a later call, one per interval. */
  setStats(key: string, stats: Record<Horizon, RedStats>, atMs: number): void {
    this.graph.setEdgeAttribute(key, 'stats', stats);
    this.#throttle.mark(key);
    if (!this.#throttle.take(key, atMs)) return;
    const { lastSeenMs } = this.graph.getEdgeAttributes(key);
    this.feed.emit({ type: 'edge-stats', atMs, key, lastSeenMs, stats: statsView(stats) });
  }

  /** Re-derives a node's health from its inbound edges (health.ts) at `atMs`. */
  refreshHealth(node: string, atMs: number): void {
    const inbound = this.graph.mapInEdges(node, (_key, attributes) => attributes);
    const health = healthOf(inbound, atMs, this.health);
    if (health === this.graph.getNodeAttribute(node, 'health')) return;
    this.graph.setNodeAttribute(node, 'health', health);
    this.#nodeChanged(node, atMs);
  }

  /**
   * Removes the edges last seen before `beforeMs`, then the nodes they leave without any edge
   * (whatever their kind: a node with no traffic for that long has nothing left to show, and
   * keeping it would let the graph grow without bound). Returns the removed edges' keys.
   */
  expireEdges(beforeMs: number, atMs: number): string[] {
    const expired = this.graph.filterEdges((_key, attributes) => attributes.lastSeenMs < beforeMs);
    const ends = new Set<string>();
    for (const key of expired) {
      const [source, target] = this.graph.extremities(key);
      this.graph.dropEdge(key);
      this.#throttle.forget(key);
      this.feed.emit({ type: 'edge-removed', atMs, key, source, target });
      ends.add(source).add(target);
    }
    for (const node of ends) {
      if (this.graph.degree(node) > 0) continue;
      this.graph.dropNode(node);
      this.feed.emit({ type: 'node-removed', atMs, key: node });
    }
    return expired;
  }

  #nodeChanged(key: string, atMs: number): void {
    const node = nodeView(key, this.graph.getNodeAttributes(key));
    this.feed.emit({ type: 'node-changed', atMs, node });
  }
}
