import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import type { CompactSketch } from './compact-sketch.ts';
import { EdgeAccumulator } from './edge-accumulator.ts';
import type { ChangeListener } from './events.ts';
import {
  checkWindow,
  decodeSketch,
  describeWindow,
  type FoldCounters,
  GraphFoldError,
  type GraphFoldOptions,
  type IgnoreReason,
  type ResolvedFoldOptions,
  resolveFoldOptions,
} from './fold-options.ts';
import { GraphWriter } from './graph-writer.ts';
import { edgeKey, endpointNode, horizonMs, ingressNode, type ServiceGraph } from './model.ts';
import { type KeyMapping, SketchDecoder } from './sketch-codec.ts';
import { type GraphSnapshot, snapshotOf } from './snapshot.ts';
import { WindowDedup } from './window-dedup.ts';

export {
  type FoldCounters,
  GraphFoldError,
  type GraphFoldOptions,
  type IgnoreReason,
} from './fold-options.ts';

const longestHorizonMs = horizonMs['1h'];

/**
 * The live service graph, folded from edge-stats.v1 windows: the one mutable piece. Per edge
 * and horizon it keeps decayed counts (decay.ts) and a latency ring (sketch-ring.ts); the
 * graph's attributes are recomputed from them at the fold's clock (see `lagMs`).
 * - `apply(window)`: folds one EdgeStats; false when it was a replay or ignored; throws a
 *   GraphFoldError (and changes nothing) for a window no fold could place.
 * - `advance(nowMs)`: moves the clock, decays, expires, re-derives health, flushes events.
 * - `graph()`: the live graph, read-only for callers; stats as of the last advance (the edges
 *   `apply` touched since are newer). `snapshot(nowMs)`: advance, then a JSON-able copy.
 * - `subscribe(listener)`: the change feed (events.ts); returns the unsubscribe function.
 */
export class GraphFold {
  readonly #edges = new Map<string, EdgeAccumulator>();
  readonly #dedup: WindowDedup;
  readonly #o: ResolvedFoldOptions;
  readonly #writer: GraphWriter;
  #clock = Number.NEGATIVE_INFINITY;
  /** The clock the last advance() brought every edge to; apply() moves #clock ahead of it. */
  #advancedTo = Number.NEGATIVE_INFINITY;
  #wallMs: number | undefined;
  #sinceMs = Number.POSITIVE_INFINITY;
  readonly #decoder = new SketchDecoder();
  /** The first sketch's mapping: every sketch folded has its accuracy (see #decode). */
  #mapping: KeyMapping | undefined;
  readonly #counts = { folded: 0, duplicates: 0 };
  readonly #ignored: Record<IgnoreReason, number> = {
    windowSize: 0,
    perInstance: 0,
    tooOld: 0,
    future: 0,
    selfLoop: 0,
  };

  constructor(options: GraphFoldOptions = {}) {
    this.#o = resolveFoldOptions(options);
    const windowMs = this.#o.windowSeconds * 1000;
    this.#dedup = new WindowDedup(windowMs, longestHorizonMs + windowMs);
    const { health, statsEventIntervalMs, onListenerError } = this.#o;
    this.#writer = new GraphWriter(health, statsEventIntervalMs, onListenerError);
  }

  /** The time statistics are evaluated at (ms since epoch); −Infinity before any input. */
  get clockMs(): number {
    return this.#clock;
  }

  graph(): ServiceGraph {
    return this.#writer.graph;
  }

  subscribe(listener: ChangeListener): () => void {
    return this.#writer.feed.subscribe(listener);
  }

  counters(): FoldCounters {
    let sketches = 0;
    for (const edge of this.#edges.values()) sketches += edge.sketches;
    const windowsRemembered = this.#dedup.size;
    return { ...this.#counts, ignored: { ...this.#ignored }, windowsRemembered, sketches };
  }

  apply(stats: EdgeStats): boolean {
    checkWindow(stats);
    const { sourceService: source, destinationCluster: destination, upstreamEndpoint } = stats;
    const startMs = stats.windowStartMs;
    const endMs = startMs + stats.windowSeconds * 1000;
    if (stats.windowSeconds !== this.#o.windowSeconds) return this.#ignore('windowSize');
    // One calling instance's share of an edge (for the policy): the edge's window counts it.
    if (stats.sourceInstance !== '') return this.#ignore('perInstance');
    // Older windows weigh little even at 1 h, and the replay guard no longer remembers them.
    if (endMs <= this.#clock - longestHorizonMs) return this.#ignore('tooOld');
    if (this.#wallMs !== undefined && startMs > this.#wallMs + this.#o.maxFutureMs) {
      return this.#ignore('future');
    }
    if (source === destination) return this.#ignore('selfLoop');
    const sketch = this.#decode(stats);
    if (this.#dedup.seenBefore(`${source}\u0000${destination}\u0000${upstreamEndpoint}`, startMs)) {
      this.#counts.duplicates++;
      return false;
    }
    this.#clock = Math.max(this.#clock, endMs);
    this.#sinceMs = Math.min(this.#sinceMs, startMs);
    const at = this.#clock;
    this.#dedup.prune(at - longestHorizonMs - this.#o.windowSeconds * 1000);
    const w = this.#writer;
    w.ensureNode(source, source === ingressNode ? 'ingress' : 'service', at);
    w.ensureNode(destination, destination === ingressNode ? 'ingress' : 'virtual', at);
    let ends = { source, target: destination, kind: 'calls' as 'calls' | 'hosts' };
    if (upstreamEndpoint !== '') {
      ends = {
        source: destination,
        target: endpointNode(destination, upstreamEndpoint),
        kind: 'hosts',
      };
      w.ensureNode(ends.target, 'endpoint', at, destination, upstreamEndpoint);
    }
    const key = edgeKey(ends.source, ends.target);
    let edge = this.#edges.get(key);
    if (edge === undefined) {
      edge = new EdgeAccumulator(this.#o.bucketsPerHorizon);
      this.#edges.set(key, edge);
    }
    const counts = { requests: stats.requests, errors: stats.status5xx + stats.noResponse };
    edge.add(counts, sketch, this.#mapping, startMs, endMs, at);
    w.upsertEdge(key, ends, edge.stats(at, this.#sinceMs), endMs, at);
    w.refreshHealth(ends.target, at);
    this.#counts.folded++;
    return true;
  }

  advance(nowMs: number): void {
    if (!Number.isFinite(nowMs)) {
      throw new GraphFoldError(
        `GraphFold.advance: nowMs must be a finite time in ms, got ${nowMs}`,
      );
    }
    this.#wallMs = Math.max(this.#wallMs ?? nowMs, nowMs);
    this.#clock = Math.max(this.#clock, nowMs - this.#o.lagMs);
    if (this.#clock === this.#advancedTo) return;
    const at = this.#clock;
    this.#advancedTo = at;
    this.#dedup.prune(at - longestHorizonMs - this.#o.windowSeconds * 1000);
    for (const key of this.#writer.expireEdges(at - this.#o.expireAfterMs, at)) {
      this.#edges.delete(key);
    }
    for (const [key, edge] of this.#edges) {
      edge.expire(at);
      this.#writer.setStats(key, edge.stats(at, this.#sinceMs), at);
    }
    this.#writer.graph.forEachNode((node) => this.#writer.refreshHealth(node, at));
  }

  snapshot(nowMs: number): GraphSnapshot {
    this.advance(nowMs);
    return snapshotOf(this.#writer.graph, this.#clock);
  }

  #ignore(reason: IgnoreReason): false {
    this.#ignored[reason]++;
    return false;
  }

  #decode(stats: EdgeStats): CompactSketch | undefined {
    const sketch = decodeSketch(stats, this.#decoder);
    const mapping = this.#decoder.mapping;
    if (sketch === undefined || mapping === undefined) return undefined;
    this.#mapping ??= mapping;
    const { gamma } = this.#mapping;
    if (mapping.gamma !== gamma) {
      const accuracy = (g: number) => ((g - 1) / (g + 1)).toPrecision(3);
      throw new GraphFoldError(
        `GraphFold.apply: latency_sketch of ${describeWindow(stats)} has relative accuracy ${accuracy(mapping.gamma)}, but this fold holds sketches of ${accuracy(gamma)}; they cannot merge`,
      );
    }
    return sketch;
  }
}
