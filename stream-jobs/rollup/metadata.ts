/**
 * What the rollup job stores beside each committed offset of access-logs.v2 (the `metadata`
 * string of an offset commit; Kafka keeps up to 4 KiB by default): a short versioned JSON.
 */

/** One partition's records in an insert: the offsets of its first and last message. */
export interface BlockPart {
  partition: number;
  first: number;
  last: number;
}

/**
 * An access_log insert announced before it was sent: the offsets of this partition's first and
 * last message in it, and when the insert also held other partitions' records (one insert per
 * round, round.ts), every part of it in insert order, this partition's included.
 */
export interface PendingInsert {
  first: number;
  last: number;
  parts?: BlockPart[];
}

export interface CommitMetadata {
  /** Windows ending at or before this event time (ms) went to edge-stats.v1; −Infinity: none. */
  emittedUpToMs: number;
  /** Records up to this offset were inserted or dead-lettered; −1: none. */
  handledTo: number;
  /**
   * An insert committed as intended but not (yet) as done: it may have been cut short, so the
   * next owner of the partition sends it again, same rows and token (see offsets.ts).
   */
  pending?: PendingInsert;
}

export const noMetadata: CommitMetadata = {
  emittedUpToMs: Number.NEGATIVE_INFINITY,
  handledTo: -1,
};

export function encodeMetadata(metadata: CommitMetadata): string {
  const emitted = Number.isFinite(metadata.emittedUpToMs) ? metadata.emittedUpToMs : null;
  const { pending } = metadata;
  return JSON.stringify({
    v: 1,
    emittedUpToMs: emitted,
    handledTo: metadata.handledTo,
    ...(pending && { pending: [pending.first, pending.last] }),
    ...(pending?.parts && { block: pending.parts.map((p) => [p.partition, p.first, p.last]) }),
  });
}

const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

/**
 * Reads commit metadata; empty or null (a group that never committed, or offsets set by a
 * tool) means none. Anything else unreadable is an error quoting the text.
 */
export function decodeMetadata(text: string | null | undefined): CommitMetadata {
  if (text === null || text === undefined || text === '') return noMetadata;
  const shown = text.slice(0, 100);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`commit metadata '${shown}' is not JSON`);
  }
  const { v, emittedUpToMs, handledTo, pending, block } = (parsed ?? {}) as Record<string, unknown>;
  const pendingOk =
    pending === undefined ||
    (Array.isArray(pending) && pending.length === 2 && pending.every(isInt));
  const blockOk =
    block === undefined ||
    (pending !== undefined &&
      Array.isArray(block) &&
      block.every((part) => Array.isArray(part) && part.length === 3 && part.every(isInt)));
  if (v !== 1 || !(emittedUpToMs === null || isInt(emittedUpToMs)) || !isInt(handledTo))
    throw new Error(
      `commit metadata '${shown}' is not {"v":1,"emittedUpToMs":int|null,"handledTo":int,…}`,
    );
  if (!pendingOk) throw new Error(`commit metadata '${shown}': pending is not [first, last]`);
  if (!blockOk)
    throw new Error(
      `commit metadata '${shown}': block is not [[partition, first, last], …] beside a pending`,
    );
  const [first, last] = (pending ?? []) as number[];
  const parts = (block as number[][] | undefined)?.map(([partition, f, l]) => ({
    partition: partition as number,
    first: f as number,
    last: l as number,
  }));
  return {
    emittedUpToMs: emittedUpToMs ?? Number.NEGATIVE_INFINITY,
    handledTo,
    ...(first !== undefined &&
      last !== undefined && { pending: { first, last, ...(parts && { parts }) } }),
  };
}
