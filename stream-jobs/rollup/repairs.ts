/**
 * Inserts of several partitions (round.ts) that an earlier run announced but may have cut short,
 * put back together to be sent again whole: same parts, same order, same token, so each table
 * that has the block drops it and one that missed it takes it (sink.ts). Every part's partition
 * announced the same parts, so each one, when its records of the block are back, hands them in
 * here; the last one completes the block.
 *
 * A block some part's partition no longer announces was acknowledged: that partition commits
 * past its part only after the insert succeeded. loadProgress (batch.ts) drops such a pending
 * block, and {@link BlockRepairs.sent} remembers the blocks acknowledged in this process.
 *
 * Residual case, logged by the job: a part whose partition this replica does not hold (the group
 * grew between the crash and the restart) never comes back here. The block then waits, and the
 * partitions in it keep their committed offsets at the block's start (nothing is lost; a later
 * owner of all of them repairs it), while newer records go on being inserted above it.
 */

import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import type { BlockPart } from './metadata.ts';
import type { Offsetted, PartitionProgress } from './offsets.ts';
import { type BlockRows, blockToken } from './sink.ts';

const maxDone = 10_000;

interface Waiting {
  parts: BlockPart[];
  sinceMs: number;
  back: Map<number, { state: PartitionProgress; records: Offsetted<AccessLogRecord>[] }>;
}

/**
 * What became of a handed-in part: the block still `waiting` for parts; `complete` (insert
 * `blocks`, then call `repaired()` on `states`); or `done` by an earlier hand-in this
 * generation (a partition read again after the block went out: just call `repaired()`).
 */
export type RepairStep =
  | { status: 'waiting'; token: string }
  | { status: 'complete'; token: string; blocks: BlockRows[]; states: PartitionProgress[] }
  | { status: 'done'; token: string };

export class BlockRepairs {
  readonly #waiting = new Map<string, Waiting>();
  /** Blocks acknowledged in this generation, newest last; see {@link sent}. */
  readonly #done = new Set<string>();

  constructor(private readonly topic: string) {}

  /**
   * Hands in `partition`'s records of its pending block (the state's `pendingRepair`, which must
   * list parts); see {@link RepairStep}.
   */
  add(
    partition: number,
    state: PartitionProgress,
    records: Offsetted<AccessLogRecord>[],
    nowMs: number,
  ): RepairStep {
    const parts = state.pendingRepair?.parts;
    if (!parts?.some((p) => p.partition === partition))
      throw new Error(`BlockRepairs.add: partition ${partition} has no pending block naming it`);
    const token = blockToken(this.topic, parts);
    if (this.#done.has(token)) return { status: 'done', token };
    let waiting = this.#waiting.get(token);
    if (!waiting) {
      waiting = { parts, sinceMs: nowMs, back: new Map() };
      this.#waiting.set(token, waiting);
    }
    waiting.back.set(partition, { state, records });
    const blocks: BlockRows[] = [];
    for (const part of waiting.parts) {
      const back = waiting.back.get(part.partition);
      if (!back) return { status: 'waiting', token };
      blocks.push({ partition: part.partition, records: back.records });
    }
    const states = [...waiting.back.values()].map((b) => b.state);
    return { status: 'complete', token, blocks, states };
  }

  /**
   * Records that `token`'s block was acknowledged (sent again here, or inserted by a round): a
   * partition that failed after the insert and announces it still, needs no resend. Only the
   * last {@link maxDone} are kept: a failed partition is read again within seconds.
   */
  sent(token: string): void {
    this.#waiting.delete(token);
    this.#done.add(token);
    if (this.#done.size > maxDone) {
      const oldest = this.#done.values().next().value;
      if (oldest !== undefined) this.#done.delete(oldest);
    }
  }

  /** Blocks still missing parts, with the partitions they wait for and since when. */
  waiting(): Array<{ token: string; missing: number[]; sinceMs: number }> {
    return [...this.#waiting].map(([token, w]) => ({
      token,
      missing: w.parts.map((p) => p.partition).filter((p) => !w.back.has(p)),
      sinceMs: w.sinceMs,
    }));
  }

  /** Forgets everything: after a rebalance every partition is read again from its commit. */
  clear(): void {
    this.#waiting.clear();
    this.#done.clear();
  }
}
