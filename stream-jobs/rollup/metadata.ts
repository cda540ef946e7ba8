/**
 * What the rollup job stores beside each committed offset of access-logs.v2 (the `metadata`
 * string of an offset commit; Kafka keeps up to 4 KiB by default): a short versioned JSON.
 */

/** An access_log insert announced before it was sent: offsets of its first and last record. */
export interface PendingInsert {
  first: number;
  last: number;
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
  const { v, emittedUpToMs, handledTo, pending } = (parsed ?? {}) as Record<string, unknown>;
  const pendingOk =
    pending === undefined ||
    (Array.isArray(pending) && pending.length === 2 && pending.every(isInt));
  if (v !== 1 || !(emittedUpToMs === null || isInt(emittedUpToMs)) || !isInt(handledTo))
    throw new Error(
      `commit metadata '${shown}' is not {"v":1,"emittedUpToMs":int|null,"handledTo":int,…}`,
    );
  if (!pendingOk) throw new Error(`commit metadata '${shown}': pending is not [first, last]`);
  const [first, last] = (pending ?? []) as number[];
  return {
    emittedUpToMs: emittedUpToMs ?? Number.NEGATIVE_INFINITY,
    handledTo,
    ...(first !== undefined && last !== undefined && { pending: { first, last } }),
  };
}
