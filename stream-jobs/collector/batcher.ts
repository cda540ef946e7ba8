/**
 * A bounded batcher: items are buffered, cut into batches (by count, bytes or age) and handed to
 * `send` one batch at a time, in order. Memory is bounded by counting every item from `push`
 * until its batch is done, in flight and retries included; past the bound `push` says "full" and
 * callers stop reading (backpressure) until `whenRoom()` resolves. Nothing is dropped for lack of
 * room. Only one batch is in flight, so a retried batch is never overtaken by a later one.
 */

import {
  type BatcherOptions,
  batchExtent,
  type ResolvedBatcherOptions,
  type Sized,
  withDefaults,
} from './batcher-options.ts';
import { sendWithRetry, settlesWithin } from './retry.ts';

export type { BatcherObserver, BatcherOptions } from './batcher-options.ts';

export class Batcher<T> {
  private readonly o: ResolvedBatcherOptions<T>;
  private queue: Sized<T>[] = [];
  private queuedBytes = 0;
  private records = 0; // queued + in flight
  private bytes = 0;
  private inFlight: T[] = []; // empty when no batch is being sent
  private sendingSince = 0;
  private flushing = false;
  private oldestAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private roomWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly abort = new AbortController();

  constructor(options: BatcherOptions<T>) {
    this.o = withDefaults(options);
  }

  /** Items and bytes held now: queued plus the batch in flight. */
  get buffered(): { records: number; bytes: number } {
    return { records: this.records, bytes: this.bytes };
  }

  /** How long the batch in flight has been trying (retries included); 0 when none is. */
  get sendingForMs(): number {
    return this.inFlight.length > 0 ? Date.now() - this.sendingSince : 0;
  }

  get full(): boolean {
    return this.records >= this.o.maxBufferedRecords || this.bytes >= this.o.maxBufferedBytes;
  }

  /** Takes every item (never refuses one); false when the batcher is now full: stop reading. */
  push(items: readonly T[]): boolean {
    if (this.closed) throw new Error('Batcher.push: the batcher is closed and takes no more items');
    if (this.queue.length === 0 && items.length > 0) this.oldestAt = Date.now();
    for (const item of items) this.enqueue({ item, size: this.o.sizeOf(item) }, false);
    this.pump();
    return !this.full;
  }

  /** Resolves once there is room again (below `resumeRatio` of both bounds), or on close. */
  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Sends everything buffered now without waiting for `lingerMs`; resolves when all is done. */
  flush(): Promise<void> {
    if (this.records === 0) return Promise.resolve();
    this.flushing = true;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.pump();
    return idle;
  }

  /**
   * Takes no more items and flushes. Past `timeoutMs` (default 10,000) what is still unsent is
   * given up (reported to `observer.dropped` as `shutdown`) so a dead broker cannot hold a
   * shutdown forever. Resolves with the number of items given up.
   */
  async close(timeoutMs = 10_000): Promise<{ unsent: number }> {
    this.closed = true;
    const flushed = await settlesWithin(this.flush(), timeoutMs);
    clearTimeout(this.timer);
    if (flushed) return { unsent: 0 };
    this.abort.abort();
    const unsent = this.records;
    this.o.observer.dropped?.([...this.inFlight, ...this.queue.map((s) => s.item)], 'shutdown');
    this.queue = [];
    this.records = this.bytes = this.queuedBytes = 0;
    this.wake();
    return { unsent };
  }

  private enqueue(sized: Sized<T>, front: boolean): void {
    if (front) this.queue.unshift(sized);
    else this.queue.push(sized);
    this.queuedBytes += sized.size;
    this.records += 1;
    this.bytes += sized.size;
  }

  private hasRoom(): boolean {
    const { maxBufferedRecords, maxBufferedBytes, resumeRatio } = this.o;
    return (
      this.abort.signal.aborted ||
      (this.records < maxBufferedRecords * resumeRatio &&
        this.bytes < maxBufferedBytes * resumeRatio)
    );
  }

  /** Starts the next batch if one is due, else arms the linger timer for the oldest item. */
  private pump(): void {
    if (this.inFlight.length > 0 || this.abort.signal.aborted || this.queue.length === 0) return;
    const { maxBatchRecords, maxBatchBytes, lingerMs } = this.o;
    const wait = this.oldestAt + lingerMs - Date.now();
    const due =
      this.flushing ||
      this.closed ||
      this.queue.length >= maxBatchRecords ||
      this.queuedBytes >= maxBatchBytes ||
      wait <= 0;
    if (!due) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const { count, size } = batchExtent(this.queue, maxBatchRecords, maxBatchBytes);
    const batch = this.queue.splice(0, count);
    this.queuedBytes -= size;
    // What stays queued keeps `oldestAt`: it may be that old, so it is sent no later than due.
    this.sendingSince = Date.now();
    this.inFlight = batch.map((s) => s.item);
    void this.deliver(this.inFlight).finally(() => {
      this.inFlight = [];
      if (!this.abort.signal.aborted) {
        this.records -= count;
        this.bytes -= size;
      }
      this.wake();
      this.pump();
    });
  }

  /** Sends one batch until it is delivered, replaced (onFailure) or dropped. */
  private async deliver(batch: T[]): Promise<void> {
    const { observer } = this.o;
    const result = await sendWithRetry(() => this.o.send(batch), {
      isRetriable: this.o.isRetriable,
      initialMs: this.o.retryInitialMs,
      maxMs: this.o.retryMaxMs,
      signal: this.abort.signal,
      onRetry: (error, attempt, delayMs) => observer.retrying?.(error, attempt, delayMs),
    });
    if (result.outcome === 'sent') observer.sent?.(batch, result.seconds);
    if (result.outcome !== 'failed') return;
    observer.failed?.(batch, result.error);
    const replacement = this.o.onFailure(batch, result.error);
    if (replacement.length === 0) observer.dropped?.(batch, 'non_retriable');
    for (const item of [...replacement].reverse())
      this.enqueue({ item, size: this.o.sizeOf(item) }, true);
  }

  private wake(): void {
    if (this.hasRoom()) for (const resolve of this.roomWaiters.splice(0)) resolve();
    if (this.records === 0 || this.abort.signal.aborted) {
      this.flushing = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
