/** Options of the Batcher (batcher.ts) with their defaults, and how a batch is cut. */

/**
 * Options for {@link Batcher}.
 * - `send` ((batch: T[]) => Promise<void>, required): delivers one batch; a rejection is retried
 *   or handed to `onFailure`, as `isRetriable` says.
 * - `sizeOf` ((item: T) => number, required): an item's size in bytes, for the byte bounds.
 * - `isRetriable` ((error) => boolean, default always true): whether a failed batch is sent again.
 * - `onFailure` ((batch: T[], error) => T[], default none): for a non-retriable failure, items to
 *   send instead, ahead of everything else (e.g. the batch as dead letters); an empty answer drops
 *   the batch (reported to `observer.dropped`).
 * - `maxBufferedRecords` (number, default 50,000), `maxBufferedBytes` (number, default 32 MiB):
 *   the bound; past either, the batcher is full.
 * - `resumeRatio` (number, default 0.5): `whenRoom()` resolves once both counts are below this
 *   share of their bound; the gap keeps readers from flapping between paused and resumed.
 * - `maxBatchRecords` (number, default 1,000), `maxBatchBytes` (number, default 1 MiB): a batch
 *   is sent as soon as either is reached, and never exceeds them (one larger item goes alone).
 * - `lingerMs` (number, default 50): the longest an item waits for its batch to fill.
 * - `retryInitialMs` (number, default 100), `retryMaxMs` (number, default 5,000): backoff
 *   between attempts of one batch, doubling from the first to the cap.
 * - `observer` (BatcherObserver, default none): hooks for metrics and logs.
 */
export interface BatcherOptions<T> {
  send: (batch: T[]) => Promise<void>;
  sizeOf: (item: T) => number;
  isRetriable?: (error: unknown) => boolean;
  onFailure?: (batch: T[], error: unknown) => T[];
  maxBufferedRecords?: number;
  maxBufferedBytes?: number;
  resumeRatio?: number;
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  lingerMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  observer?: BatcherObserver<T>;
}

/** Hooks the batcher calls; the collector turns them into metrics and log lines. */
export interface BatcherObserver<T> {
  sent?(batch: T[], seconds: number): void;
  retrying?(error: unknown, attempt: number, delayMs: number): void;
  failed?(batch: T[], error: unknown): void;
  dropped?(items: T[], reason: 'non_retriable' | 'shutdown'): void;
}

export type ResolvedBatcherOptions<T> = Required<Omit<BatcherOptions<T>, 'observer'>> & {
  observer: BatcherObserver<T>;
};

export function withDefaults<T>(options: BatcherOptions<T>): ResolvedBatcherOptions<T> {
  return {
    isRetriable: () => true,
    onFailure: () => [],
    maxBufferedRecords: 50_000,
    maxBufferedBytes: 32 * 1024 * 1024,
    resumeRatio: 0.5,
    maxBatchRecords: 1_000,
    maxBatchBytes: 1024 * 1024,
    lingerMs: 50,
    retryInitialMs: 100,
    retryMaxMs: 5_000,
    observer: {},
    ...options,
  };
}

/** An item with its size, as the batcher queues it. */
export type Sized<T> = { item: T; size: number };

/** How many queued items the next batch takes (at least one), and their bytes. */
export function batchExtent<T>(queue: Sized<T>[], maxRecords: number, maxBytes: number) {
  let count = 0;
  let size = 0;
  for (const { size: next } of queue) {
    if (count === maxRecords || (count > 0 && size + next > maxBytes)) break;
    size += next;
    count++;
  }
  return { count, size };
}
