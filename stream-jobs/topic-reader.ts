/**
 * Reading a whole topic in every process that needs it: the graph view, the policy job (both
 * fold edge-stats.v1) and each xds-server replica (routing.v1) each want every partition.
 *
 * - A consumer group of its own per process (`<groupPrefix>-<host>-<pid>-<random>`): kafkajs has
 *   no manual assignment, and a shared group would split the partitions between replicas.
 *   Offsets are committed only so a rejoin resumes; the group is deleted on close.
 * - Where to start, per partition, is fixed before consuming: the first offset, the end, or the
 *   first offset at or after a time (admin.fetchTopicOffsetsByTimestamp).
 * - `ready` resolves once every partition was read up to the high watermark it had at start.
 * - `onMessage` throwing is logged and the message skipped: a reader is a view, and one bad
 *   message must not stop it (the producer owns dead letters).
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../lib/log.ts';

/**
 * Options for {@link startTopicReader}.
 * - `kafka` (Kafka, required), `topic` (string, required), `log` (Logger, required).
 * - `groupPrefix` (string, required): the consumer group's name before the per-process suffix.
 * - `start` ('beginning' | 'end' | { atMs: number }, required): where each partition starts.
 * - `onMessage` ((message, partition) => void, required): called in offset order per partition.
 * - `catchUpTimeoutMs` (number, default 30,000): after this long, `ready` resolves anyway with a
 *   warning. A compacted topic whose newest records were cleaned away (old tombstones) has a
 *   high watermark no batch ever reaches; waiting for it would block a start forever.
 */
export interface TopicReaderOptions {
  kafka: Kafka;
  topic: string;
  log: Logger;
  groupPrefix: string;
  start: 'beginning' | 'end' | { atMs: number };
  onMessage: (message: KafkaMessage, partition: number) => void | Promise<void>;
  catchUpTimeoutMs?: number;
}

export interface TopicReader {
  /**
   * Resolves when caught up with the topic as it was at start (or at `catchUpTimeoutMs`);
   * rejects if the consumer crashes first.
   */
  readonly ready: Promise<void>;
  /** Caught up, and the consumer has not crashed for good since. */
  isReady(): boolean;
  /** Stops consuming and deletes the consumer group; safe to call twice. */
  close(): Promise<void>;
}

export async function startTopicReader(options: TopicReaderOptions): Promise<TopicReader> {
  const { kafka, topic, log } = options;
  const admin = kafka.admin();
  await admin.connect();
  let starts: Array<{ partition: number; offset: string }>;
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const { start } = options;
    starts =
      start === 'beginning'
        ? offsets.map((o) => ({ partition: o.partition, offset: o.low }))
        : start === 'end'
          ? offsets.map((o) => ({ partition: o.partition, offset: o.high }))
          : await admin.fetchTopicOffsetsByTimestamp(topic, start.atMs);
  } finally {
    await admin.disconnect();
  }
  const behind = new Set<number>();
  for (const { partition, offset } of starts) {
    if (BigInt(offset) < (ends.get(partition) ?? 0n)) behind.add(partition);
  }

  let caughtUp = false;
  let failed = false;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => {}); // a caller that never awaits `ready` must not see an unhandled rejection
  const markCaughtUp = () => {
    if (caughtUp || behind.size > 0) return;
    caughtUp = true;
    log.info({ topic }, 'caught up');
    settle.resolve();
  };

  const groupId = `${options.groupPrefix}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
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
    failed = true;
    log.error({ err: payload.error, topic }, 'topic reader crashed');
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
          await options.onMessage(message, partition);
        } catch (error) {
          log.warn({ err: error, topic, partition, offset: message.offset }, 'skipped a message');
        }
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => {});
    throw error;
  }
  markCaughtUp();
  const catchUpTimer = setTimeout(() => {
    if (caughtUp) return;
    log.warn(
      { topic, behind: [...behind], catchUpTimeoutMs: options.catchUpTimeoutMs ?? 30_000 },
      'not caught up in time (a compacted tail?): going on with what was read',
    );
    behind.clear();
    markCaughtUp();
  }, options.catchUpTimeoutMs ?? 30_000);
  catchUpTimer.unref();

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      clearTimeout(catchUpTimer);
      await consumer.disconnect();
      const cleanup = kafka.admin();
      try {
        await cleanup.connect();
        await cleanup.deleteGroups([groupId]);
      } catch (error) {
        log.debug({ err: error, groupId }, 'could not delete the consumer group');
      } finally {
        await cleanup.disconnect();
      }
    })();
    return closed;
  };
  return { ready, isReady: () => caughtUp && !failed, close };
}
