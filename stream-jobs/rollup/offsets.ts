/**
 * Exactly-once bookkeeping of one access-logs.v2 partition, pure (job.ts does the I/O).
 *
 * - High-water mark: `insertedTo`, max(kafka_offset) in access_log, read on (re)assignment. A
 *   redelivered record at or below it is stored already and is not inserted again, whatever
 *   batch boundaries kafkajs chose this time (a token alone would not catch that).
 * - Intent: before an insert, the group's offset is committed again unchanged with the insert's
 *   offset range as `pending` metadata; after it, a commit clears it. A `pending` found on
 *   (re)assignment is an insert that may have been cut short (the engine commits access_log and
 *   each view's table in turn), so its records, all redelivered, are sent again as the same block
 *   with the same token: every table that has it drops it, a table that missed it gets it.
 * - Messages, not records, are the unit: every record of an access-logs.v2 message shares its
 *   offset, is inserted in the same block and is dead-lettered by the same run.
 * - Offsets: the committed offset never passes a record an open window holds (windows die with
 *   the process), nor the start of a pending insert.
 * - `emittedUpToMs`/`handledTo` metadata: redelivered records of windows already emitted are left
 *   out of the rebuilt windows (no partial window is emitted twice), malformed ones are not
 *   dead-lettered twice.
 */

import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import type { Decoded, RollupMalformedReason } from './decode.ts';
import {
  type BlockPart,
  type CommitMetadata,
  encodeMetadata,
  type PendingInsert,
} from './metadata.ts';
import { PartitionWindows, type WindowOptions } from './windows.ts';

export { type CommitMetadata, decodeMetadata, encodeMetadata, noMetadata } from './metadata.ts';

/** What is known about a partition when it is (re)assigned. */
export interface PartitionStart {
  /** max(kafka_offset) in access_log for the partition; −1 when it has no row. */
  insertedTo: number;
  /** Metadata of the group's last commit ({@link noMetadata} if none). */
  metadata: CommitMetadata;
  /** Where reading resumed: the committed offset (or the first offset read, if none). */
  committedOffset: number;
}

export interface Offsetted<T> {
  offset: number;
  value: T;
}

export interface DeadLetter {
  offset: number;
  reason: RollupMalformedReason;
  message: string;
  /** The bytes that failed: one record of the message, or its whole value. */
  value: Uint8Array;
  valueType: string;
}

/** How one batch (in offset order) is to be handled, in this order. */
export interface BatchPlan {
  /**
   * This partition's records of the pending insert of an earlier run, complete now: send it again
   * as it was (with the other parts' records, when it held other partitions'), then `repaired()`.
   */
  repair: Offsetted<AccessLogRecord>[] | undefined;
  /** Valid records above the high-water mark: one insert, announced first ({@link intent}). */
  insert: Offsetted<AccessLogRecord>[];
  /** Malformed records not dead-lettered by an earlier run. */
  deadLetters: DeadLetter[];
  /** Every valid record: the windows decide which ones they still need. */
  valid: Offsetted<AccessLogRecord>[];
  alreadyInserted: number;
  lastOffset: number;
}

export interface CommitPoint {
  offset: number;
  metadata: string;
}

export class PartitionProgress {
  readonly windows: PartitionWindows;
  /** The high-water mark (see the module comment). */
  insertedTo: number;
  /** The highest offset inserted or dead-lettered (by this run, or as the last commit says). */
  handledTo: number;
  /** Whether the last batch reached the partition's end (idle windows may then close). */
  caughtUp = false;
  readonly #replayedTo: number;
  #repair: PendingInsert | undefined;
  readonly #repairRows: Offsetted<AccessLogRecord>[] = [];
  #lastCommit: CommitPoint;

  constructor(start: PartitionStart, windowOptions: WindowOptions = {}) {
    const { metadata } = start;
    this.windows = new PartitionWindows(windowOptions, metadata.emittedUpToMs);
    this.insertedTo = start.insertedTo;
    this.handledTo = metadata.handledTo;
    this.#replayedTo = metadata.handledTo;
    this.#repair = metadata.pending;
    this.#lastCommit = { offset: start.committedOffset, metadata: encodeMetadata(metadata) };
  }

  /** Sorts a batch (see BatchPlan); keeps a repair's records until it is whole: once per batch. */
  plan(messages: readonly Offsetted<Decoded>[]): BatchPlan {
    const repair = this.#repair;
    const floor = Math.max(this.insertedTo, repair?.last ?? -1);
    const plan: BatchPlan = {
      repair: undefined,
      insert: [],
      deadLetters: [],
      valid: [],
      alreadyInserted: 0,
      lastOffset: this.handledTo,
    };
    for (const { offset, value } of messages) {
      plan.lastOffset = Math.max(plan.lastOffset, offset);
      if (!value.ok) {
        if (offset > this.#replayedTo) {
          const { reason, message, value: bytes, valueType } = value;
          plan.deadLetters.push({ offset, reason, message, value: bytes, valueType });
        }
        continue;
      }
      const item = { offset, value: value.record };
      plan.valid.push(item);
      if (repair && offset >= repair.first && offset <= repair.last) this.#repairRows.push(item);
      else if (offset > floor) plan.insert.push(item);
      else plan.alreadyInserted += 1;
    }
    if (repair && plan.lastOffset >= repair.last) plan.repair = [...this.#repairRows];
    return plan;
  }

  /**
   * The commit announcing `plan.insert` (offset unchanged); undefined when nothing is inserted.
   * `parts`: every partition's range in the insert, when it holds more than this partition's.
   */
  intent(plan: BatchPlan, parts?: readonly BlockPart[]): CommitPoint | undefined {
    const first = plan.insert[0];
    const last = plan.insert.at(-1);
    if (!first || !last) return;
    const pending = {
      first: first.offset,
      last: last.offset,
      ...(parts && parts.length > 1 && { parts: [...parts] }),
    };
    return { offset: this.#lastCommit.offset, metadata: this.#metadata(pending) };
  }

  /** The pending insert of an earlier run not repaired yet (see the module comment). */
  get pendingRepair(): PendingInsert | undefined {
    return this.#repair;
  }

  /** Records that the pending insert was sent again whole and acknowledged. */
  repaired(): void {
    if (!this.#repair) return;
    this.insertedTo = Math.max(this.insertedTo, this.#repair.last);
    this.#repair = undefined;
    this.#repairRows.length = 0;
  }

  /**
   * After the batch's inserts and dead letters succeeded: adds its valid records to the windows
   * and moves the marks. Returns how many came late for a window this run already emitted
   * (redelivered records of windows an earlier run emitted are expected, not late).
   */
  apply(plan: BatchPlan, nowMs: number): { late: number } {
    const last = plan.insert.at(-1);
    if (last) this.insertedTo = Math.max(this.insertedTo, last.offset);
    let late = 0;
    for (const { offset, value } of plan.valid) {
      const lateFor = this.windows.add(value, offset, nowMs);
      if (lateFor.length > 0 && offset > this.#replayedTo) late += 1;
    }
    this.handledTo = Math.max(this.handledTo, plan.lastOffset);
    return { late };
  }

  /**
   * Where the group's offset may go now (the lowest offset an open window or a pending repair
   * holds, else past the last handled record), with this moment's metadata. Call after the closed
   * windows were emitted. Undefined when nothing changed since the last commit.
   */
  commitPoint(): CommitPoint | undefined {
    const next = this.handledTo + 1;
    const held = Math.min(this.windows.minOpenOffset() ?? next, this.#repair?.first ?? next);
    const offset = Math.min(held, next);
    const metadata = this.#metadata(this.#repair);
    const last = this.#lastCommit;
    if (offset < 0 || (last.offset === offset && last.metadata === metadata)) return;
    return { offset, metadata };
  }

  /** Records that Kafka acknowledged `point`. */
  committed(point: CommitPoint): void {
    this.#lastCommit = point;
  }

  get lastCommit(): CommitPoint {
    return this.#lastCommit;
  }

  #metadata(pending: PendingInsert | undefined): string {
    const { emittedUpToMs } = this.windows;
    return encodeMetadata({
      emittedUpToMs,
      handledTo: this.handledTo,
      ...(pending && { pending }),
    });
  }
}
