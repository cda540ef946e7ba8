/**
 * One step of the rollup for one partition, apart from how the consumer is wired (job.ts): load a
 * partition's progress; handle a batch (a pending repair, the announced insert, dead letters,
 * windows); emit the windows the watermark closed and commit. Every write is acknowledged before
 * the commit that depends on it; a throw leaves the caller to reload the partition.
 */

import type { Admin, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import { type DecodeOptions, decodeMessage } from './decode.ts';
import type { RollupMetrics } from './metrics.ts';
import { type CommitPoint, decodeMetadata, noMetadata, PartitionProgress } from './offsets.ts';
import { deadLetterMessage, edgeStatsMessage, outputTopics, sendAll } from './outputs.ts';
import type { AccessLogSink } from './sink.ts';
import type { WindowOptions } from './windows.ts';

export interface BatchContext {
  producer: Producer;
  sink: AccessLogSink;
  metrics: RollupMetrics;
  log: Logger;
  decode?: DecodeOptions;
}

/**
 * A partition's progress after a (re)assignment, from its ClickHouse high-water mark and the
 * group's last commit (`resumedAt`, the first offset read, stands in for none).
 */
export async function loadProgress(
  ctx: BatchContext,
  admin: Admin,
  groupId: string,
  source: { topic: string; partition: number; resumedAt: number },
  windows?: WindowOptions,
): Promise<PartitionProgress> {
  const { partition } = source;
  const [insertedTo, committed] = await Promise.all([
    ctx.sink.highWaterMark(partition),
    admin.fetchOffsets({ groupId, topics: [source.topic] }),
  ]);
  const entry = committed[0]?.partitions.find((p) => p.partition === partition);
  let metadata = noMetadata;
  try {
    metadata = decodeMetadata(entry?.metadata);
  } catch (error) {
    // Not ours (an offset tool wrote it): windows may repeat, access_log stays exact. Go on.
    ctx.log.error({ err: error, partition }, 'ignoring commit metadata; windows may repeat');
  }
  ctx.log.info(
    { partition, insertedTo, ...metadata, committed: entry?.offset },
    'partition loaded',
  );
  const offset = Number(entry?.offset ?? -1);
  const committedOffset = offset >= 0 ? offset : source.resumedAt;
  return new PartitionProgress({ insertedTo, metadata, committedOffset }, windows);
}

/** Commits one partition's offset with its metadata; resolves once Kafka acknowledged it. */
export type CommitFn = (point: CommitPoint) => Promise<void>;

/** A commit point as kafkajs takes it (kafkajs passes `metadata` through to OffsetCommit). */
export const commitEntry = (partition: number, point: CommitPoint) => ({
  partition,
  offset: String(point.offset),
  metadata: point.metadata,
});

/**
 * Handles `messages` (one partition, offset order): a pending insert of an earlier run again,
 * then the new records' insert, announced by `commit`-ting its intent first; dead letters;
 * windows. Throws when any write failed.
 */
export async function rollupBatch(
  ctx: BatchContext,
  state: PartitionProgress,
  source: { topic: string; partition: number },
  messages: readonly KafkaMessage[],
  commit: CommitFn,
): Promise<void> {
  const { metrics } = ctx;
  const keyAt = new Map(messages.map((m) => [Number(m.offset), m.key]));
  const decoded = messages.flatMap((m) => {
    const offset = Number(m.offset);
    // The Kafka timestamp, not the clock: a redelivered message gets the same verdict.
    const verdicts = decodeMessage(m.key, m.value, Number(m.timestamp), ctx.decode);
    return verdicts.map((value) => ({ offset, value }));
  });
  metrics.consumed.inc(messages.length);
  metrics.records.inc(decoded.length);
  const plan = state.plan(decoded);
  metrics.skipped.inc(plan.alreadyInserted);
  if (plan.repair && plan.repair.length > 0) {
    // Same rows, same token: each table that has the block drops it; one that missed it takes it.
    const result = await ctx.sink.insert(source.partition, plan.repair);
    metrics.repairs.inc();
    ctx.log.info({ ...source, token: result.token }, 'sent a possibly cut-short insert again');
  }
  const intent = state.intent(plan);
  if (intent) {
    await commit(intent);
    state.committed(intent);
    const stop = metrics.insertSeconds.startTimer();
    const result = await ctx.sink.insert(source.partition, plan.insert);
    stop();
    metrics.inserted.inc(result.rows);
    metrics.insertRetries.inc(result.attempts - 1);
  }
  const letters = plan.deadLetters.map((letter) =>
    deadLetterMessage(letter, keyAt.get(letter.offset) ?? null, source),
  );
  await sendAll(ctx.producer, outputTopics.deadLetters, letters);
  for (const letter of plan.deadLetters) metrics.deadLetters.inc({ reason: letter.reason });
  metrics.late.inc(state.apply(plan, Date.now()).late);
}

/**
 * Emits the windows the watermark has passed, then commits as far as offsets.ts allows (if that
 * moved). The windows leave the state as they close: if a send fails, the caller must drop the
 * state and read the partition again.
 */
export async function emitAndCommit(
  ctx: BatchContext,
  state: PartitionProgress,
  commit: CommitFn,
): Promise<void> {
  const closed = state.windows.closeReady();
  await sendAll(ctx.producer, outputTopics.edgeStats, closed.map(edgeStatsMessage));
  for (const w of closed) ctx.metrics.windowsEmitted.inc({ window: `${w.windowSeconds}s` });
  const point = state.commitPoint();
  if (!point) return;
  await commit(point);
  state.committed(point);
}
