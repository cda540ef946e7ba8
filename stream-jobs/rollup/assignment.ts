/**
 * The partitions a rollup replica holds right now, and what it knows about each: its progress
 * (offsets.ts), where to read it again from after a failure (the last commit), and its end.
 * A (re)join of the consumer group starts a new generation: work still in flight for the old
 * assignment must neither commit nor touch the new state.
 */

import type { CommitFn } from './batch.ts';
import type { RollupMetrics } from './metrics.ts';
import type { CommitPoint, PartitionProgress } from './offsets.ts';

/** Work for an assignment the group has moved on from: dropped quietly, never committed. */
export class StaleAssignment extends Error {
  override name = 'StaleAssignment';
}

export class Assignment {
  generation = 0;
  readonly states = new Map<number, PartitionProgress>();
  readonly #resume = new Map<number, number>();
  readonly #ends = new Map<number, number>();

  constructor(private readonly metrics: RollupMetrics) {}

  /** Forgets every partition: kafkajs reads each from its committed offset after a (re)join. */
  reset(): void {
    this.generation += 1;
    this.states.clear();
    this.#resume.clear();
    this.metrics.lag.reset();
  }

  get openWindows(): number {
    return [...this.states.values()].reduce((n, state) => n + state.windows.openCount, 0);
  }

  /** Notes a batch: where reading started (until a commit says more) and the partition's end. */
  saw(partition: number, firstOffset: number, highWatermark?: number): void {
    if (!this.#resume.has(partition)) this.#resume.set(partition, firstOffset);
    if (highWatermark !== undefined) this.#ends.set(partition, highWatermark);
  }

  /** Where to read `partition` again from after a failure: its last commit (or first read). */
  resumeOffset(partition: number): number | undefined {
    return this.#resume.get(partition);
  }

  /** A commit for `partition` that refuses to run once the group moved past `generation`. */
  committer(
    partition: number,
    generation: number,
    send: (p: CommitPoint) => Promise<void>,
  ): CommitFn {
    return async (point) => {
      if (generation !== this.generation) throw new StaleAssignment('the group rebalanced');
      await send(point);
      this.#resume.set(partition, point.offset);
      this.metrics.lastCommit.setToCurrentTime();
      const end = this.#ends.get(partition);
      if (end !== undefined)
        this.metrics.lag.set({ partition: String(partition) }, end - point.offset);
    };
  }
}
