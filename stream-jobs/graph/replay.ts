/**
 * The Kafka side of the graph view: every process that needs the graph folds edge-stats.v1 on
 * its own (the graph is a view, not a shared state), so each one reads every partition.
 *
 * - A consumer group of its own per process (`meshgraph-graph-view-<host>-<pid>-<random>`):
 *   kafkajs has no manual assignment, and a shared group would split the partitions between
 *   replicas. Offsets are committed only so a rejoin resumes; the group is deleted on close.
 * - Start: the offsets of `now − lookbackMs` (admin.fetchTopicOffsetsByTimestamp), so a restart
 *   rebuilds the last hour, which is all the fold keeps. `fromBeginning` reads the whole topic
 *   instead (the fold still refuses windows older than its longest horizon).
 * - `ready` resolves once every partition was read up to the high watermark it had at start.
 * - A message that is no EdgeStats, or one the fold refuses, is logged and skipped: dead letters
 *   are the rollup's job (it produced the topic), and one bad window must not stop the view.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
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

  // Where to start and where "caught up" is, per partition, taken before consuming anything.
  const admin = kafka.admin();
  await admin.connect();
  let starts: Array<{ partition: number; offset: string }>;
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    starts = options.fromBeginning
      ? offsets.map((o) => ({ partition: o.partition, offset: o.low }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, now() - (options.lookbackMs ?? 3_600_000));
  } finally {
    await admin.disconnect();
  }
  const behind = new Set<number>();
  for (const { partition, offset } of starts) {
    if (BigInt(offset) < (ends.get(partition) ?? 0n)) behind.add(partition);
  }

  let caughtUp = false;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => {}); // a caller that never awaits `ready` must not see an unhandled rejection
  const markCaughtUp = () => {
    if (caughtUp || behind.size > 0) return;
    caughtUp = true;
    fold.advance(now());
    log.info({ topic, counters: fold.counters() }, 'graph view caught up');
    settle.resolve();
  };

  const groupId = `meshgraph-graph-view-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({ groupId });
  // END_BATCH_PROCESS also reports batches of only control records, which eachMessage never sees.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = ends.get(payload.partition);
    if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end)
      behind.delete(payload.partition);
    markCaughtUp();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    log.error({ err: payload.error, topic }, 'graph view consumer crashed');
    if (!caughtUp) settle.reject(payload.error);
  });
  // Seek on the first join: GROUP_JOIN fires inside run(), before the first fetch, whereas code
  // after `await run()` may lose the race with it. Later joins resume from committed offsets.
  let sought = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (sought) return;
    sought = true;
    for (const { partition, offset } of starts) consumer.seek({ topic, partition, offset });
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        try {
          fold.apply(EdgeStats.decode(message.value ?? Buffer.alloc(0)));
        } catch (error) {
          const where = { err: error, topic, partition, offset: message.offset };
          log.warn(where, 'skipped an edge-stats message');
        }
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => {});
    throw error;
  }
  markCaughtUp();

  const timer = setInterval(() => fold.advance(now()), options.tickMs ?? 1_000);
  timer.unref();
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      clearInterval(timer);
      await consumer.disconnect();
      const cleanup = kafka.admin();
      try {
        await cleanup.connect();
        await cleanup.deleteGroups([groupId]);
      } catch (error) {
        log.debug({ err: error, groupId }, 'could not delete the graph view consumer group');
      } finally {
        await cleanup.disconnect();
      }
    })();
    return closed;
  };
  return { fold, ready, isReady: () => caughtUp, close };
}
