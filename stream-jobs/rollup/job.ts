/**
 * The rollup job's Kafka wiring: one consumer group on access-logs.v2 (replicas share the
 * partitions), one batch at a time. Per batch and partition: batch.ts (inserts, dead letters,
 * windows), then the closed windows go out and the offset is committed (offsets.ts says how far,
 * with which metadata). A timer closes idle partitions' windows the same way. A failure drops
 * the partition's state and reads it again from its last commit, exactly as a restart would;
 * a (re)join of the group resets every partition.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { accessLogsTopic } from '../topics.ts';
import { Assignment, StaleAssignment } from './assignment.ts';
import {
  type BatchContext,
  commitEntry,
  emitAndCommit,
  loadProgress,
  rollupBatch,
} from './batch.ts';
import type { WindowOptions } from './windows.ts';

/**
 * Options for {@link RollupJob}.
 * - `groupId` (string, default `meshgraph-rollup`): the consumer group; replicas share it.
 * - `windows` (WindowOptions, default 2 s allowed lateness, 1 s idle).
 * - `sessionTimeoutMs` (number, default 10,000): how soon the group notices a dead replica and
 *   hands its partitions on; `heartbeatIntervalMs` (number, default the lesser of 1,000 and a
 *   third of the session timeout) must stay well below it.
 * - `tickMs` (number, default 250): how often idle partitions' windows are checked.
 * - `retryDelayMs` (number, default 1,000): pause after a failed batch before reading it again.
 */
export interface RollupJobOptions {
  groupId?: string;
  windows?: WindowOptions;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  tickMs?: number;
  retryDelayMs?: number;
}

const topic = accessLogsTopic.name;

export class RollupJob {
  readonly groupId: string;
  /** Whether the consumer joined its group at least once (a rejoin is routine). */
  joined = false;
  /** The last failure, until a batch succeeds again (readiness reports it). */
  problem: string | undefined;
  readonly #consumer: Consumer;
  readonly #admin: Admin;
  readonly #held: Assignment;
  #lock: Promise<unknown> = Promise.resolve();
  #ticker: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly ctx: BatchContext,
    private readonly options: RollupJobOptions = {},
  ) {
    this.groupId = options.groupId ?? 'meshgraph-rollup';
    this.#held = new Assignment(ctx.metrics);
    this.#admin = kafka.admin();
    const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
    this.#consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout,
      heartbeatInterval: options.heartbeatIntervalMs ?? Math.min(1_000, sessionTimeout / 3),
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    const { GROUP_JOIN, REBALANCING, CRASH } = this.#consumer.events;
    this.#consumer.on(GROUP_JOIN, (event) => {
      this.#held.reset();
      this.joined = true;
      this.problem = undefined;
      ctx.log.info({ assigned: event.payload.memberAssignment[topic] ?? [] }, 'joined group');
    });
    this.#consumer.on(REBALANCING, () => this.#held.reset());
    this.#consumer.on(CRASH, ({ payload }) => {
      this.problem = `consumer crashed: ${payload.error.message}`;
      if (!payload.restart) ctx.log.error({ err: payload.error }, 'consumer stopped for good');
    });
  }

  get openWindows(): number {
    return this.#held.openWindows;
  }

  async start(): Promise<void> {
    await Promise.all([this.#admin.connect(), this.#consumer.connect()]);
    await this.#consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#exclusive(() => this.#batch(payload)),
    });
    const tick = () => this.#exclusive(() => this.#idle()).catch(() => {});
    this.#ticker = setInterval(tick, this.options.tickMs ?? 250);
  }

  /**
   * Finishes the batch in hand (commit included) and leaves the group. Open windows are not
   * emitted: the commit never passed their records, so the next owner rebuilds them whole.
   */
  async close(): Promise<void> {
    clearInterval(this.#ticker);
    await this.#exclusive(async () => {});
    await this.#consumer.disconnect();
    await this.#admin.disconnect();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  async #batch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { partition, messages } = batch;
    const generation = this.#held.generation;
    const first = messages[0];
    if (payload.isStale() || !first) return;
    this.#held.saw(partition, Number(first.offset));
    // Inside eachBatch, commits go through the payload: kafkajs drops consumer.commitOffsets()
    // once stopping, and a graceful stop must still commit the batch it finishes.
    const commit = this.#held.committer(partition, generation, (point) =>
      payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [commitEntry(partition, point)] }],
      }),
    );
    try {
      let state = this.#held.states.get(partition);
      if (!state) {
        const source = { topic, partition, resumedAt: Number(first.offset) };
        const { windows } = this.options;
        state = await loadProgress(this.ctx, this.#admin, this.groupId, source, windows);
        if (generation !== this.#held.generation) return;
        this.#held.states.set(partition, state);
      }
      await rollupBatch(this.ctx, state, { topic, partition }, messages, commit);
      state.caughtUp = batch.offsetLag() === '0';
      this.#held.saw(partition, Number(first.offset), Number(batch.highWatermark));
      await payload.heartbeat();
      await emitAndCommit(this.ctx, state, commit);
      payload.resolveOffset(batch.lastOffset());
      this.problem = undefined;
    } catch (error) {
      await this.#fail(partition, error);
    }
  }

  async #idle(): Promise<void> {
    const generation = this.#held.generation;
    for (const [partition, state] of this.#held.states) {
      state.windows.advanceIdle(Date.now(), state.caughtUp);
      const commit = this.#held.committer(partition, generation, (point) =>
        this.#consumer.commitOffsets([{ topic, ...commitEntry(partition, point) }]),
      );
      await emitAndCommit(this.ctx, state, commit).catch((error) => this.#fail(partition, error));
      if (generation !== this.#held.generation) return;
    }
  }

  /** Forgets the partition and reads it again from its last commit, as a restart would. */
  async #fail(partition: number, error: unknown): Promise<void> {
    if (error instanceof StaleAssignment) return; // the (re)join reset everything already
    this.ctx.metrics.batchFailures.inc();
    this.problem = `partition ${partition}: ${error instanceof Error ? error.message : error}`;
    this.ctx.log.error({ err: error, partition }, 'rollup batch failed; reading it again');
    this.#held.states.delete(partition);
    const offset = this.#held.resumeOffset(partition);
    if (offset !== undefined) this.#consumer.seek({ topic, partition, offset: String(offset) });
    await sleep(this.options.retryDelayMs ?? 1_000);
  }
}
