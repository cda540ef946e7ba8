/**
 * Tumbling event-time windows of one Kafka partition: 1 s and 10 s, per edge and per endpoint of
 * an edge. Pure: records, offsets and the wall clock come in as arguments, so the exactly-once
 * logic around it (offsets.ts) can be checked by simulation.
 *
 * Time: a record's event time is its start time. The watermark is the highest event time seen
 * on the partition minus the allowed lateness; a window closes once the watermark reaches its
 * end. A partition that has caught up and received nothing for `idleMs` of wall time moves its
 * watermark to (now − allowed lateness), so the last windows close without further traffic.
 * A record for a window that was already emitted is late: it is counted here and still stored in
 * ClickHouse (which rolls up by event time), but never emitted again.
 */

import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { accumulate, emptyWindow, splitFlags, type WindowStats } from './window-stats.ts';

export { splitFlags, toEdgeStats, type WindowStats } from './window-stats.ts';

/** Window lengths in seconds; 10 s matches the ClickHouse edge_stats/endpoint_stats rows. */
export const windowSeconds = [1, 10] as const;

/**
 * Options for {@link PartitionWindows}.
 * - `allowedLatenessMs` (number, default 2,000): how far behind the newest event time a record
 *   may be and still be counted in its window.
 * - `idleMs` (number, default 1,000): wall time without records after which a caught-up
 *   partition's watermark follows the clock.
 */
export interface WindowOptions {
  allowedLatenessMs?: number;
  idleMs?: number;
}

export class PartitionWindows {
  readonly #latenessMs: number;
  readonly #idleMs: number;
  readonly #open = new Map<string, WindowStats>();
  #watermarkMs: number;
  #emittedUpToMs: number;
  #lastRecordWallMs = Number.NEGATIVE_INFINITY;

  /** `emittedUpToMs`: windows ending at or before it were emitted by an earlier run. */
  constructor(options: WindowOptions = {}, emittedUpToMs = Number.NEGATIVE_INFINITY) {
    this.#latenessMs = options.allowedLatenessMs ?? 2_000;
    this.#idleMs = options.idleMs ?? 1_000;
    this.#watermarkMs = emittedUpToMs;
    this.#emittedUpToMs = emittedUpToMs;
  }

  get watermarkMs(): number {
    return this.#watermarkMs;
  }
  /** Every window ending at or before this time has been handed out by {@link closeReady}. */
  get emittedUpToMs(): number {
    return this.#emittedUpToMs;
  }
  get openCount(): number {
    return this.#open.size;
  }

  /**
   * Adds a record at `offset` to its 1 s and 10 s windows, edge and endpoint (records that no
   * endpoint served count for the edge only). Returns the window lengths (seconds) for which it
   * came too late: those windows were already emitted, and it is left out of them.
   */
  add(record: AccessLogRecord, offset: number, nowMs: number): number[] {
    this.#lastRecordWallMs = nowMs;
    const eventMs = Math.floor(record.startTimeUs / 1000);
    this.#watermarkMs = Math.max(this.#watermarkMs, eventMs - this.#latenessMs);
    const late: number[] = [];
    const edge = `${record.sourceService}→${record.destinationCluster}`;
    const endpoints = record.upstreamEndpoint === '' ? [''] : ['', record.upstreamEndpoint];
    const flags = splitFlags(record.responseFlags);
    for (const seconds of windowSeconds) {
      const start = Math.floor(eventMs / (seconds * 1000)) * seconds * 1000;
      if (start + seconds * 1000 <= this.#emittedUpToMs) {
        late.push(seconds);
        continue;
      }
      for (const endpoint of endpoints) {
        const id = `${seconds}|${start}|${edge}|${endpoint}`;
        let window = this.#open.get(id);
        if (!window) {
          window = emptyWindow(record, endpoint, start, seconds, offset);
          this.#open.set(id, window);
        }
        accumulate(window, record, offset, flags);
      }
    }
    return late;
  }

  /** Moves the watermark with the clock when `caughtUp` and no record came for `idleMs`. */
  advanceIdle(nowMs: number, caughtUp: boolean): void {
    if (caughtUp && nowMs - this.#lastRecordWallMs >= this.#idleMs)
      this.#watermarkMs = Math.max(this.#watermarkMs, nowMs - this.#latenessMs);
  }

  /** Removes and returns the windows the watermark has passed (oldest first). */
  closeReady(): WindowStats[] {
    const closed: WindowStats[] = [];
    for (const [id, window] of this.#open) {
      if (window.windowStartMs + window.windowSeconds * 1000 <= this.#watermarkMs) {
        closed.push(window);
        this.#open.delete(id);
      }
    }
    this.#emittedUpToMs = Math.max(this.#emittedUpToMs, this.#watermarkMs);
    return closed.sort((a, b) => a.windowStartMs - b.windowStartMs);
  }

  /** The lowest offset held by an open window; undefined when none is open. */
  minOpenOffset(): number | undefined {
    let min: number | undefined;
    for (const window of this.#open.values())
      if (min === undefined || window.firstOffset < min) min = window.firstOffset;
    return min;
  }
}
