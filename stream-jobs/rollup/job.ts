/**
 * The rollup job's Kafka wiring: one consumer group on access-logs.v2 (replicas share the
 * partitions); the partitions' batches of a fetch are handled concurrently, one at a time per
 * partition. Per batch: batch.ts plans it and sends a pending repair again, round.ts inserts its
 * records together with the other partitions' (one insert per round), then dead letters and
 * windows, the closed windows go out and the offset is committed (offsets.ts says how far, with
 * which metadata). A timer closes idle partitions' windows the same way. A failure drops the
 * partition's state and reads it again from its last commit, exactly as a restart would; a
 * (re)join of the group resets every partition.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { accessLogsTopic } from '../topics.ts';
import { Assignment, StaleAssignment } from './assignment.ts';
import {
  type BatchContext,
  commitEntry,
  countInsert,
  emitAndCommit,
  finishBatch,
  loadProgress,
  planBatch,
  repairPending,
} from './batch.ts';
import { BlockRepairs } from './repairs.ts';
import { InsertRounds } from './round.ts';
import { blockToken } from './sink.ts';
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
 * - `gatherMs` (number, default 5): how long an insert round waits for the other partitions'
 *   batches of a fetch (round.ts).
 */
export interface RollupJobOptions {
  groupId?: string;
  windows?: WindowOptions;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  tickMs?: number;
  retryDelayMs?: number;
  gatherMs?: number;
}

/** A partition's pending block still misses other partitions' parts (see repairs.ts). */
class RepairWaiting extends Error {
  override name = 'RepairWaiting';
}

/** A pending block still missing parts after this long is logged (see repairs.ts). */
const repairWaitWarnMs = 30_000;

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
  readonly #rounds: InsertRounds;
  readonly #repairs = new BlockRepairs(topic);
  /** One chain per partition: a partition's batches and idle ticks never interleave. */
  readonly #locks = new Map<number, Promise<unknown>>();
  #ticker: NodeJS.Timeout | undefined;
  #idling = false;
  readonly #warned = new Set<string>();

  constructor(
    kafka: Kafka,
    private readonly ctx: BatchContext,
    private readonly options: RollupJobOptions = {},
  ) {
    this.groupId = options.groupId ?? 'meshgraph-rollup';
    this.#held = new Assignment(ctx.metrics);
    this.#admin = kafka.admin();
    this.#rounds = new InsertRounds(
      {
        // One commit for every part's intent: the coordinator stores it as one append.
        announce: (points) =>
          this.#consumer.commitOffsets(
            points.map(({ partition, point }) => ({ topic, ...commitEntry(partition, point) })),
          ),
        insert: async (blocks) => {
          const stop = ctx.metrics.insertSeconds.startTimer();
          const result = await ctx.sink.insertBlock(blocks);
          countInsert(ctx, result, stop());
          return result;
        },
        acknowledged: (parts) => {
          if (parts.length > 1) this.#repairs.sent(blockToken(topic, parts));
        },
      },
      { gatherMs: options.gatherMs ?? 5 },
    );
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
      this.#repairs.clear();
      this.joined = true;
      this.problem = undefined;
      ctx.log.info({ assigned: event.payload.memberAssignment[topic] ?? [] }, 'joined group');
    });
    this.#consumer.on(REBALANCING, () => {
      this.#held.reset();
      this.#repairs.clear();
    });
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
      // Every partition at once, so a fetch's batches meet in one insert round.
      partitionsConsumedConcurrently: accessLogsTopic.partitions,
      eachBatch: (payload) => this.#exclusive(payload.batch.partition, () => this.#batch(payload)),
    });
    const tick = () => {
      if (this.#idling) return; // the last tick still waits for a busy partition
      this.#idling = true;
      void this.#idle()
        .catch(() => {})
        .finally(() => {
          this.#idling = false;
        });
    };
    this.#ticker = setInterval(tick, this.options.tickMs ?? 250);
  }

  /**
   * Finishes the batch in hand (commit included) and leaves the group. Open windows are not
   * emitted: the commit never passed their records, so the next owner rebuilds them whole.
   */
  async close(): Promise<void> {
    clearInterval(this.#ticker);
    await Promise.all([...this.#locks.values()].map((lock) => lock.catch(() => {})));
    await this.#consumer.disconnect();
    await this.#admin.disconnect();
  }

  #exclusive<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const run = (this.#locks.get(partition) ?? Promise.resolve()).then(fn);
    this.#locks.set(
      partition,
      run.catch(() => {}),
    );
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
      const planned = planBatch(this.ctx, state, messages);
      await repairPending(this.ctx, state, partition, planned.plan, this.#repairs);
      // A new insert's intent would replace the pending block's in the commit metadata: wait
      // for the block's other parts (read again shortly) before inserting anything newer.
      if (state.pendingRepair && planned.plan.insert.length > 0) throw new RepairWaiting();
      if (planned.plan.insert.length > 0) {
        if (generation !== this.#held.generation) throw new StaleAssignment('the group rebalanced');
        await this.#rounds.submit({ partition, state, plan: planned.plan });
      }
      await finishBatch(this.ctx, state, { topic, partition }, planned);
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
    for (const partition of [...this.#held.states.keys()]) {
      await this.#exclusive(partition, async () => {
        const state = this.#held.states.get(partition);
        if (!state || generation !== this.#held.generation) return;
        state.windows.advanceIdle(Date.now(), state.caughtUp);
        const commit = this.#held.committer(partition, generation, (point) =>
          this.#consumer.commitOffsets([{ topic, ...commitEntry(partition, point) }]),
        );
        await emitAndCommit(this.ctx, state, commit).catch((error) => this.#fail(partition, error));
      });
      if (generation !== this.#held.generation) return;
    }
    for (const block of this.#repairs.waiting())
      if (Date.now() - block.sinceMs > repairWaitWarnMs && !this.#warned.has(block.token)) {
        this.#warned.add(block.token);
        this.ctx.log.error(
          { token: block.token, missing: block.missing },
          'a pending insert waits for partitions this replica does not hold; their commits stay at its start until one replica holds them all',
        );
      }
  }

  /** Forgets the partition and reads it again from its last commit, as a restart would. */
  async #fail(partition: number, error: unknown): Promise<void> {
    if (error instanceof StaleAssignment) return; // the (re)join reset everything already
    if (error instanceof RepairWaiting) {
      this.ctx.log.info({ partition }, 'waiting for the rest of a pending block; reading again');
    } else {
      this.ctx.metrics.batchFailures.inc();
      this.problem = `partition ${partition}: ${error instanceof Error ? error.message : error}`;
      this.ctx.log.error({ err: error, partition }, 'rollup batch failed; reading it again');
    }
    this.#held.states.delete(partition);
    const offset = this.#held.resumeOffset(partition);
    if (offset !== undefined) this.#consumer.seek({ topic, partition, offset: String(offset) });
    await sleep(this.options.retryDelayMs ?? 1_000);
  }
}
