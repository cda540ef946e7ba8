import type { GraphChange } from '../../stream-jobs/graph/events.ts';

/** The part of a writable stream (an http.ServerResponse) an SSE connection writes to. */
export interface SseOutput {
  write(chunk: string): boolean;
  end(): void;
  /** True after a write returned false, until 'drain': the socket buffer is full. */
  readonly writableNeedDrain: boolean;
  /** Bytes queued and not yet handed to the socket. */
  readonly writableLength: number;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/**
 * Options for {@link SseConnection}.
 * - `heartbeatMs` (number, default 15,000): a comment line this often while the stream is
 *   quiet, so proxies and load balancers do not cut an idle connection; 0 = none.
 * - `maxBufferedBytes` (number, default 8 MiB): node and edge additions and removals are never
 *   dropped, so a client that stops reading would grow this buffer without bound; past it the
 *   stream is ended, and the client's reconnect starts over from a fresh snapshot. The first
 *   snapshot comes on top of it until the socket has drained once.
 * - `current` ((edgeKey) => GraphChange | undefined): an `edge-stats` change with the edge's
 *   statistics now, or undefined once the edge is gone (used to catch up after drops).
 * - `onDrop` (() => void, default none): called per dropped event (metrics).
 */
export interface SseOptions {
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  current: (edgeKey: string) => GraphChange | undefined;
  onDrop?: () => void;
}

/**
 * One client of the graph change stream, with backpressure. While the client's socket buffer
 * is full, `edge-stats` changes are dropped (and counted in `dropped`): they are the bulk of
 * the feed and each one supersedes the last, so the edges they were about are remembered, and
 * on 'drain' each still in the graph gets one `edge-stats` with its statistics as they are
 * then. Every other change (node and edge additions, removals, health) is always written:
 * losing one would leave the client's graph wrong until it reconnects.
 */
export class SseConnection {
  /** `edge-stats` changes not written because the client was behind. */
  dropped = 0;
  #closed = false;
  readonly #stale = new Set<string>();
  readonly #heartbeat: NodeJS.Timeout | undefined;
  readonly #maxBufferedBytes: number;
  /** Bytes that may be queued before the stream is ended (see `snapshot`). */
  #limit: number;

  constructor(
    readonly out: SseOutput,
    readonly options: SseOptions,
  ) {
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#limit = this.#maxBufferedBytes;
    const heartbeatMs = options.heartbeatMs ?? 15_000;
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => {
        if (!out.writableNeedDrain) out.write(': heartbeat\n\n');
      }, heartbeatMs);
      this.#heartbeat.unref();
    }
    out.on('drain', this.#onDrain);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The first event. A big graph's snapshot alone can pass `maxBufferedBytes` (10,000 nodes and
   * 100,000 edges are tens of MB), so it is not counted against the limit until it has gone out.
   */
  snapshot(data: unknown): void {
    this.#write('snapshot', data);
    this.#limit = this.out.writableLength + this.#maxBufferedBytes;
  }

  /** Writes one event: `event: <name>`, then the JSON on one `data:` line. */
  send(event: string, data: unknown): void {
    this.#write(event, data);
    if (this.out.writableLength > this.#limit) this.close();
  }

  change(change: GraphChange): void {
    if (this.#closed) return;
    if (change.type === 'edge-stats') {
      if (this.out.writableNeedDrain) {
        this.#stale.add(change.key);
        this.dropped++;
        this.options.onDrop?.();
        return;
      }
      this.#stale.delete(change.key);
    } else if (change.type === 'edge-removed') {
      this.#stale.delete(change.key);
    }
    this.send(change.type, change);
  }

  /** Ends the response (idempotent); the caller unsubscribes on the response's 'close'. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.out.off('drain', this.#onDrain);
    this.out.end();
  }

  #write(event: string, data: unknown): void {
    if (this.#closed) return;
    // JSON.stringify escapes newlines inside strings, so the data is always a single line.
    this.out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  readonly #onDrain = (): void => {
    this.#limit = this.#maxBufferedBytes;
    for (const key of this.#stale) {
      if (this.out.writableNeedDrain || this.#closed) return;
      this.#stale.delete(key);
      const latest = this.options.current(key);
      if (latest !== undefined) this.send(latest.type, latest);
    }
  };
}
