import type { GraphChange } from '../../../stream-jobs/graph/events.ts';
import type { Horizon } from '../../../stream-jobs/graph/model.ts';
import type { EdgeView, NodeView } from '../../../stream-jobs/graph/snapshot.ts';

/** Edges not seen for this long are not drawn: the live fold keeps an edge for an hour. */
export const recentMs = 5 * 60_000;

/** A node's or an edge's rate, error rate and p99 over one horizon, as the page shows them. */
export interface Red {
  rate: number;
  errorRate: number | null;
  p99: number | null;
  requests: number;
}

/** What a change did, so the view knows whether attributes or the node set must follow. */
export type ChangeKind = 'stats' | 'node' | 'structure';

export interface GraphData {
  atMs: number;
  nodes: NodeView[];
  edges: EdgeView[];
}

/**
 * Every node and edge the page knows, as the API shapes them: the live graph (snapshot plus
 * SSE changes) or one answer of `/v1/graph?at=` (the past). Plain maps, no rendering: the view
 * (view.ts) draws a filtered part of it, so 10,000 nodes cost memory, not frames.
 */
export class GraphModel {
  atMs = 0;
  readonly nodes = new Map<string, NodeView>();
  readonly edges = new Map<string, EdgeView>();
  readonly #incident = new Map<string, Set<string>>();

  static of(data: GraphData): GraphModel {
    const model = new GraphModel();
    model.load(data);
    return model;
  }

  load(data: GraphData): void {
    this.atMs = data.atMs;
    this.nodes.clear();
    this.edges.clear();
    this.#incident.clear();
    for (const node of data.nodes) this.nodes.set(node.key, node);
    for (const edge of data.edges) this.#addEdge(edge);
  }

  apply(change: GraphChange): ChangeKind {
    this.atMs = Math.max(this.atMs, change.atMs);
    switch (change.type) {
      case 'node-added':
        this.nodes.set(change.node.key, change.node);
        return 'structure';
      case 'node-changed':
        this.nodes.set(change.node.key, change.node);
        return 'node';
      case 'node-removed':
        for (const key of this.#incident.get(change.key) ?? []) this.#dropEdge(key);
        this.nodes.delete(change.key);
        this.#incident.delete(change.key);
        return 'structure';
      case 'edge-added':
        this.#addEdge(change.edge);
        return 'structure';
      case 'edge-stats': {
        const edge = this.edges.get(change.key);
        if (edge)
          this.edges.set(change.key, {
            ...edge,
            lastSeenMs: change.lastSeenMs,
            stats: change.stats,
          });
        return 'stats';
      }
      case 'edge-removed':
        this.#dropEdge(change.key);
        return 'structure';
    }
  }

  isRecent(edge: EdgeView): boolean {
    return edge.lastSeenMs >= this.atMs - recentMs;
  }

  /** The node's edges, both directions, recent ones only. */
  incident(node: string): EdgeView[] {
    const out: EdgeView[] = [];
    for (const key of this.#incident.get(node) ?? []) {
      const edge = this.edges.get(key);
      if (edge && this.isRecent(edge)) out.push(edge);
    }
    return out;
  }

  /** Every node's traffic (1 m req/s over its recent edges, both directions), one pass. */
  traffic(): Map<string, number> {
    const traffic = new Map<string, number>();
    for (const edge of this.edges.values()) {
      if (!this.isRecent(edge)) continue;
      const rate = edge.stats['1m'].rate;
      traffic.set(edge.source, (traffic.get(edge.source) ?? 0) + rate);
      traffic.set(edge.target, (traffic.get(edge.target) ?? 0) + rate);
    }
    return traffic;
  }

  /**
   * A node's traffic as its callers measured it (the API's rule): rates add up, error rate and
   * p99 are request-weighted means. The ingress has no callers: it is measured by what it sends.
   */
  red(node: string, horizon: Horizon = '1m'): Red {
    const view = this.nodes.get(node);
    const inbound = this.incident(node).filter((edge) =>
      view?.kind === 'ingress' ? edge.source === node : edge.target === node,
    );
    return merge(inbound.map((edge) => edge.stats[horizon]));
  }

  /** The endpoint nodes of a service (targets of its `hosts` edges), recent or not. */
  endpointsOf(service: string): NodeView[] {
    const out: NodeView[] = [];
    for (const key of this.#incident.get(service) ?? []) {
      const edge = this.edges.get(key);
      const node =
        edge && edge.kind === 'hosts' && edge.source === service
          ? this.nodes.get(edge.target)
          : undefined;
      if (node) out.push(node);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  #addEdge(edge: EdgeView): void {
    this.edges.set(edge.key, edge);
    for (const end of [edge.source, edge.target]) {
      const set = this.#incident.get(end) ?? new Set<string>();
      this.#incident.set(end, set.add(edge.key));
    }
  }

  #dropEdge(key: string): void {
    const edge = this.edges.get(key);
    if (!edge) return;
    this.edges.delete(key);
    this.#incident.get(edge.source)?.delete(key);
    this.#incident.get(edge.target)?.delete(key);
  }
}

/** Edge stats merged: rates add, error rate and p99 weighted by requests. */
export function merge(
  stats: ReadonlyArray<{ rate: number; errorRate: number; p99: number | null; requests: number }>,
): Red {
  let rate = 0;
  let requests = 0;
  let errors = 0;
  let p99Weight = 0;
  let p99Sum = 0;
  for (const s of stats) {
    rate += s.rate;
    requests += s.requests;
    errors += s.errorRate * s.requests;
    if (s.p99 !== null && s.requests > 0) {
      p99Sum += s.p99 * s.requests;
      p99Weight += s.requests;
    }
  }
  return {
    rate,
    requests,
    errorRate: requests > 0 ? errors / requests : null,
    p99: p99Weight > 0 ? p99Sum / p99Weight : null,
  };
}
