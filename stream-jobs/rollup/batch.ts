/**
 * The steps of the rollup for one partition, apart from how the consumer is wired (job.ts): load a
 * partition's progress; plan a batch; send a pending repair again; (the announced insert goes
 * through round.ts, with the other partitions'); dead letters and windows; emit the windows the
 * watermark closed and commit. Every write is acknowledged before the commit that depends on it;
 * a throw leaves the caller to reload the partition.
 */

import type { Admin, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import { type DecodeOptions, decodeMessage } from './decode.ts';
import type { BlockPart } from './metadata.ts';
import type { RollupMetrics } from './metrics.ts';
import {
  type BatchPlan,
  type CommitPoint,
  decodeMetadata,
  noMetadata,
  PartitionProgress,
} from './offsets.ts';
import { deadLetterMessage, edgeStatsMessage, outputTopics, sendAll } from './outputs.ts';
import type { BlockRepairs } from './repairs.ts';
import type { AccessLogSink, InsertResult } from './sink.ts';
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
  const partitions = committed[0]?.partitions ?? [];
  const entry = partitions.find((p) => p.partition === partition);
  let metadata = noMetadata;
  try {
    metadata = decodeMetadata(entry?.metadata);
  } catch (error) {
    // Not ours (an offset tool wrote it): windows may repeat, access_log stays exact. Go on.
    ctx.log.error({ err: error, partition }, 'ignoring commit metadata; windows may repeat');
  }
  const parts = metadata.pending?.parts;
  if (parts && !parts.every((part) => announces(partitions, part.partition, parts))) {
    // Another part's partition committed past the block: that happens only after the insert
    // was acknowledged, so nothing was cut short (see repairs.ts).
    ctx.log.info({ partition, block: parts }, 'pending block was acknowledged; no resend');
    const { pending: _acknowledged, ...rest } = metadata;
    metadata = rest;
  }
  ctx.log.info(
    { partition, insertedTo, ...metadata, committed: entry?.offset },
    'partition loaded',
  );
  const offset = Number(entry?.offset ?? -1);
  const committedOffset = offset >= 0 ? offset : source.resumedAt;
  return new PartitionProgress({ insertedTo, metadata, committedOffset }, windows);
}

/** Whether `partition`'s committed metadata still announces the block of `parts`. */
function announces(
  partitions: ReadonlyArray<{ partition: number; metadata: string | null }>,
  partition: number,
  parts: readonly BlockPart[],
): boolean {
  const text = partitions.find((p) => p.partition === partition)?.metadata;
  try {
    const other = decodeMetadata(text).pending?.parts;
    return JSON.stringify(other) === JSON.stringify(parts);
  } catch {
    return false;
  }
}

/** Commits one partition's offset with its metadata; resolves once Kafka acknowledged it. */
export type CommitFn = (point: CommitPoint) => Promise<void>;

/** A commit point as kafkajs takes it (kafkajs passes `metadata` through to OffsetCommit). */
export const commitEntry = (partition: number, point: CommitPoint) => ({
  partition,
  offset: String(point.offset),
  metadata: point.metadata,
});

/** A batch decoded and sorted (offsets.ts), with each message's key for its dead letters. */
export interface PlannedBatch {
  plan: BatchPlan;
  keyAt: Map<number, Buffer | null>;
}

/** Decodes `messages` (one partition, offset order) and sorts them: no I/O. */
export function planBatch(
  ctx: BatchContext,
  state: PartitionProgress,
  messages: readonly KafkaMessage[],
): PlannedBatch {
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
  return { plan, keyAt };
}

/**
 * A pending insert of an earlier run whose records are back (`plan.repair`): sent again as the
 * same block with the same token. One that held other partitions' records waits in `repairs`
 * until every part is back.
 */
export async function repairPending(
  ctx: BatchContext,
  state: PartitionProgress,
  partition: number,
  plan: BatchPlan,
  repairs: BlockRepairs,
): Promise<void> {
  if (!plan.repair) return;
  if (state.pendingRepair?.parts) {
    const step = repairs.add(partition, state, plan.repair, Date.now());
    if (step.status === 'waiting') return;
    if (step.status === 'complete') {
      await ctx.sink.insertBlock(step.blocks);
      repairs.sent(step.token);
      for (const s of step.states) s.repaired();
      ctx.metrics.repairs.inc();
      ctx.log.info({ partition, token: step.token }, 'sent a possibly cut-short insert again');
    }
    state.repaired();
    return;
  }
  if (plan.repair.length > 0) {
    // Same rows, same token: each table that has the block drops it; one that missed it takes it.
    const result = await ctx.sink.insert(partition, plan.repair);
    ctx.metrics.repairs.inc();
    ctx.log.info({ partition, token: result.token }, 'sent a possibly cut-short insert again');
  }
  state.repaired();
}

/**
 * After the batch's insert was acknowledged: its dead letters (acknowledged too), then its valid
 * records into the windows.
 */
export async function finishBatch(
  ctx: BatchContext,
  state: PartitionProgress,
  source: { topic: string; partition: number },
  { plan, keyAt }: PlannedBatch,
): Promise<void> {
  const letters = plan.deadLetters.map((letter) =>
    deadLetterMessage(letter, keyAt.get(letter.offset) ?? null, source),
  );
  await sendAll(ctx.producer, outputTopics.deadLetters, letters);
  for (const letter of plan.deadLetters) ctx.metrics.deadLetters.inc({ reason: letter.reason });
  ctx.metrics.late.inc(state.apply(plan, Date.now()).late);
}

/** Counts an acknowledged insert. */
export function countInsert(ctx: BatchContext, result: InsertResult, seconds: number): void {
  ctx.metrics.inserted.inc(result.rows);
  ctx.metrics.insertRetries.inc(result.attempts - 1);
  ctx.metrics.insertSeconds.observe(seconds);
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
