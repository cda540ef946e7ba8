/**
 * The Kafka side of the graph view: every process that needs the graph folds edge-stats.v1 on
 * its own (the graph is a view, not a shared state), so each one reads every partition.
 *
 * Read with a topic reader of its own (../topic-reader.ts: a per-process group, every partition,
 * `ready` once caught up, bad messages logged and skipped).
 * - Start: the offsets of `now − lookbackMs`, so a restart rebuilds the last hour, which is all
 *   the fold keeps. `fromBeginning` reads the whole topic instead (the fold still refuses
 *   windows older than its longest horizon).
 * - A message that is no EdgeStats, or one the fold refuses, is skipped: dead letters are the
 *   rollup's job (it produced the topic), and one bad window must not stop the view.
 */

import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { startTopicReader } from '../topic-reader.ts';
import { edgeStatsTopic, ensureTopics } from '../topics.ts';
import { GraphFold, type GraphFoldOptions } from './fold.ts';

/**
 * Options for {@link startGraphView}.
 * - `brokers` (string[], required): Kafka bootstrap addresses, `host:port`.
 * - `log` (Logger, required).
 * - `fromBeginning` (boolean, default false): read the topic from its first offset instead of
 *   from `now − lookbackMs`.
 * - `lookbackMs` (number, default 3,600,000): how far back a start reads: the longest horizon.
 * - `tickMs` (number, default 1,000): how often the fold advances to the wall clock (decay,
 *   expiry, health, throttled change events).
 * - `fold` (GraphFoldOptions, default {}): passed to the {@link GraphFold}.
 * - `clientId` (string, default `meshgraph-graph-view`): the Kafka client id.
 * - `replicationFactor` (number, default 1): for edge-stats.v1 if this creates it.
 * - `now` (() => number, default Date.now): the wall clock, in ms.
 */
export interface GraphViewOptions {
  brokers: string[];
  log: Logger;
  fromBeginning?: boolean;
  lookbackMs?: number;
  tickMs?: number;
  fold?: GraphFoldOptions;
  clientId?: string;
  replicationFactor?: number;
  now?: () => number;
}

export interface GraphView {
  readonly fold: GraphFold;
  /** Resolves when caught up with the topic as it was at start; rejects if the consumer crashes first. */
  readonly ready: Promise<void>;
  isReady(): boolean;
  /** Stops consuming, deletes the consumer group; safe to call twice. */
  close(): Promise<void>;
}

export async function startGraphView(options: GraphViewOptions): Promise<GraphView> {
  const { log, now = Date.now } = options;
  const topic = edgeStatsTopic.name;
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: options.clientId ?? 'meshgraph-graph-view',
    log,
  });
  await ensureTopics(kafka, [edgeStatsTopic], {
    replicationFactor: options.replicationFactor ?? 1,
    log,
  });
  const fold = new GraphFold({
    onListenerError: (error) => log.error({ err: error }, 'graph change listener failed'),
    ...options.fold,
  });
  fold.advance(now());

  const reader = await startTopicReader({
    kafka,
    topic,
    log,
    groupPrefix: 'meshgraph-graph-view',
    start: options.fromBeginning
      ? 'beginning'
      : { atMs: now() - (options.lookbackMs ?? 3_600_000) },
    onMessage: (message) => {
      fold.apply(EdgeStats.decode(message.value ?? Buffer.alloc(0)));
    },
  });
  const ready = reader.ready.then(() => {
    fold.advance(now());
    log.info({ topic, counters: fold.counters() }, 'graph view caught up');
  });
  ready.catch(() => {});

  const timer = setInterval(() => fold.advance(now()), options.tickMs ?? 1_000);
  timer.unref();
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      clearInterval(timer);
      await reader.close();
    })();
    return closed;
  };
  return { fold, ready, isReady: () => reader.isReady(), close };
}
