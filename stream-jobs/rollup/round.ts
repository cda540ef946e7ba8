/**
 * One access_log insert per round instead of one per partition. The engine pays about 25 ms
 * of CPU per insert whatever its size (the two materialized views are planned and run per
 * insert, and every insert writes new parts that must be merged later): measured on chdb, one
 * insert of 9,000 rows cost 55–62 ms where six inserts of 1,500 cost 140–170 ms
 * (bench/ingest/README.md). The partitions' batches of one fetch are handled concurrently
 * (job.ts), each submits its records here, and the round gathers what arrives within
 * `gatherMs` into one block.
 *
 * Exactly once, as for a single partition (offsets.ts), with one change: the intent each part's
 * partition commits before the insert names every part of the block, and all intents go in ONE
 * offset commit (the group coordinator writes it as one append: all or none). A block cut short
 * is sent again whole by {@link BlockRepairs} once each part's records are back.
 */

import type { BlockPart } from './metadata.ts';
import type { BatchPlan, CommitPoint, PartitionProgress } from './offsets.ts';
import { type BlockRows, type InsertResult, partsOf } from './sink.ts';

/** One partition's share of a round. */
export interface RoundEntry {
  partition: number;
  state: PartitionProgress;
  plan: BatchPlan;
}

/**
 * What a round needs from the outside.
 * - `announce`: commits every entry's intent in one offset commit; rejects if the group moved on.
 * - `insert`: inserts the blocks as one access_log insert (AccessLogSink.insertBlock).
 */
export interface RoundIO {
  announce(points: ReadonlyArray<{ partition: number; point: CommitPoint }>): Promise<void>;
  insert(blocks: readonly BlockRows[]): Promise<InsertResult>;
  /** Called with the parts of every acknowledged insert (before its entries settle). */
  acknowledged?(parts: readonly BlockPart[]): void;
}

interface Waiting {
  entry: RoundEntry;
  resolve: (result: InsertResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Options for {@link InsertRounds}.
 * - `gatherMs` (number, default 5): how long a round waits, from its first entry, for the other
 *   partitions' batches of the same fetch (they arrive within microseconds; a batch that misses
 *   the round goes into the next one).
 */
export interface RoundOptions {
  gatherMs?: number;
}

export class InsertRounds {
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #gatherMs: number;

  constructor(
    private readonly io: RoundIO,
    options: RoundOptions = {},
  ) {
    this.#gatherMs = options.gatherMs ?? 5;
  }

  /** Adds a batch with records to insert; settles when the round's insert did. */
  submit(entry: RoundEntry): Promise<InsertResult> {
    if (entry.plan.insert.length === 0)
      throw new Error(`InsertRounds.submit: partition ${entry.partition} has nothing to insert`);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ entry, resolve, reject });
      this.#timer ??= setTimeout(() => void this.#flush(), this.#gatherMs);
    });
  }

  async #flush(): Promise<void> {
    const round = this.#waiting.sort((a, b) => a.entry.partition - b.entry.partition);
    this.#waiting = [];
    this.#timer = undefined;
    try {
      const blocks = round.map(({ entry }) => ({
        partition: entry.partition,
        records: entry.plan.insert,
      }));
      const parts: BlockPart[] = partsOf(blocks);
      const points = round.map(({ entry }) => {
        const point = entry.state.intent(entry.plan, parts);
        if (!point) throw new Error(`partition ${entry.partition}: no intent for its insert`);
        return { partition: entry.partition, point };
      });
      await this.io.announce(points);
      for (const [i, { entry }] of round.entries()) {
        const announced = points[i];
        if (announced) entry.state.committed(announced.point);
      }
      const result = await this.io.insert(blocks);
      this.io.acknowledged?.(parts);
      for (const w of round) w.resolve(result);
    } catch (error) {
      for (const w of round) w.reject(error);
    }
  }
}
