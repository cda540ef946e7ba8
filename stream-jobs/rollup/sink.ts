/**
 * The rollup job's ClickHouse side: one access_log insert per round (round.ts: the batches of
 * the partitions read together), carrying a deduplication token made of each partition's offset
 * range, `<topic>:<partition>:<firstOffset>-<lastOffset>[+<partition>:<first>-<last>…]`, and the partition's
 * high-water mark, max(kafka_offset) (migration 0004), read on assignment. The materialized views
 * of migrations 0002 and 0003 fill edge_stats and endpoint_stats from the same insert.
 *
 * Retry rule: an insert that failed with an unknown outcome (connection lost, timeout, engine
 * busy) may have been stored. It is retried with the same rows and token, so ClickHouse drops it
 * if the first try landed, in access_log and (the view tables' tokens derive from it) in the
 * rollups. An insert ClickHouse refused as such (bad SQL, unknown column, unparsable data) is
 * not retried: the same statement would fail the same way.
 *
 * Inserts cut short: the engine commits one insert table by table (access_log and each view's table
 * in turn), so a process killed inside that commit (chdb runs in this process) leaves the tables
 * disagreeing about one block. The intent committed to Kafka before every insert (offsets.ts) makes
 * the partition's next owner send that block again with its token: each table that has it drops it,
 * one that missed it takes it. The same holds for an insert a ClickHouse server finishes after the
 * client gave up on it. Residual window: inside one table the engine records the token in its
 * deduplication log just before it publishes the part; a kill between those two steps
 * (microseconds) makes that table drop the resent block too, so it lacks that block.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type ClickHouseStore, ClickHouseStoreError } from '../../lib/clickhouse/store.ts';
import type { Logger } from '../../lib/log.ts';
import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { accessLogColumns, accessLogValues } from './decode.ts';
import type { BlockPart } from './metadata.ts';
import type { Offsetted } from './offsets.ts';

/**
 * Options for {@link AccessLogSink}.
 * - `topic` (string, required): the source topic, named in every token.
 * - `attempts` (number, default 8): tries per insert before the error goes to the caller (which
 *   reloads the partition and reads the batch again).
 * - `backoffMs` (number, default 100): delay before the first retry, doubled each time up to
 *   `maxBackoffMs` (number, default 5,000).
 */
export interface SinkOptions {
  topic: string;
  attempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** ClickHouse error codes meaning the statement was refused as such, so nothing was stored. */
const refusedCodes = new Set([16, 27, 53, 60, 62, 117]);

/** Whether a failed insert may have been stored (and may succeed if sent again). */
export function outcomeUnknown(error: unknown): boolean {
  return !(error instanceof ClickHouseStoreError && refusedCodes.has(error.code ?? -1));
}

export function deduplicationToken(
  topic: string,
  partition: number,
  first: number,
  last: number,
): string {
  return `${topic}:${partition}:${first}-${last}`;
}

/**
 * The token of an insert holding several partitions' records (round.ts): the parts' ranges in
 * insert order, `<topic>:<p>:<first>-<last>+<p>:<first>-<last>…`; one part gives the
 * single-partition token above.
 */
export function blockToken(topic: string, parts: readonly BlockPart[]): string {
  return `${topic}:${parts.map((p) => `${p.partition}:${p.first}-${p.last}`).join('+')}`;
}

/** One partition's records of an insert (offset order, non-empty). */
export interface BlockRows {
  partition: number;
  records: readonly Offsetted<AccessLogRecord>[];
}

/** The parts (partition and offset range) of an insert of `blocks`, in their order. */
export function partsOf(blocks: readonly BlockRows[]): BlockPart[] {
  return blocks.map(({ partition, records }) => {
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) throw new Error(`partsOf: partition ${partition} has no records`);
    return { partition, first: first.offset, last: last.offset };
  });
}

export interface InsertResult {
  rows: number;
  attempts: number;
  token: string;
}

export class AccessLogSink {
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;

  constructor(
    private readonly store: ClickHouseStore,
    private readonly log: Logger,
    private readonly options: SinkOptions,
  ) {
    this.#attempts = options.attempts ?? 8;
    this.#backoffMs = options.backoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  /** max(kafka_offset) of `partition` in access_log; −1 when it has no row. */
  async highWaterMark(partition: number): Promise<number> {
    // The aggregate projection of migration 0004 answers this without scanning the table.
    const rows = await this.store.query<{ rows: string; hwm: string }>(
      'SELECT count() AS rows, max(kafka_offset) AS hwm FROM access_log WHERE kafka_partition = {partition:Int32}',
      { partition },
    );
    const row = rows[0];
    return row === undefined || Number(row.rows) === 0 ? -1 : Number(row.hwm);
  }

  /**
   * Inserts `records` (offset order, non-empty) of `partition` as one block with the token of
   * their offset range; retried as described in the module comment.
   */
  insert(partition: number, records: readonly Offsetted<AccessLogRecord>[]): Promise<InsertResult> {
    return this.insertBlock([{ partition, records }]);
  }

  /**
   * Inserts several partitions' records as ONE block (parts in the given order, records in
   * offset order), with the token of all their ranges: a resend must repeat the same parts in
   * the same order. Retried as described in the module comment.
   */
  async insertBlock(blocks: readonly BlockRows[]): Promise<InsertResult> {
    if (blocks.length === 0) throw new Error('AccessLogSink.insertBlock: no records to insert');
    const token = blockToken(this.options.topic, partsOf(blocks));
    // Positional rows (JSONCompactEachRow): the values of accessLogRow without its keys.
    const rows = blocks.flatMap(({ partition, records }) =>
      records.map(({ offset, value }) => accessLogValues(value, partition, offset)),
    );
    const options = { deduplicationToken: token, columns: accessLogColumns };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.insert('access_log', rows, options);
        return { rows: rows.length, attempts: attempt, token };
      } catch (error) {
        if (!outcomeUnknown(error) || attempt >= this.#attempts) throw error;
        const delayMs = Math.min(this.#backoffMs * 2 ** (attempt - 1), this.#maxBackoffMs);
        this.log.warn(
          { err: error, token, attempt, delayMs },
          'access_log insert failed; retrying',
        );
        await sleep(delayMs);
      }
    }
  }
}
