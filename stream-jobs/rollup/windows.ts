/**
 * Tumbling event-time windows of one Kafka partition: 1 s and 10 s, per edge and per endpoint of
 * an edge, and 1 s per calling instance of an edge (records that name one: the policy's
 * dependency health per endpoint; edge-stats.v1 says consumers folding edges skip them). Pure: records, offsets and the wall clock come in as arguments, so the exactly-once
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

/** One group's open windows: the edge, one endpoint of it, or one calling instance. */
interface Group {
  endpoint: string;
  instance: string;
  /** How many of {@link windowSeconds}, from the first, it keeps (instances: 1 s only). */
  lengths: number;
  windows: Map<number, WindowStats>;
}

export class PartitionWindows {
  readonly #latenessMs: number;
  readonly #idleMs: number;
  /**
   * Open windows per group (`<edge>|<endpoint>`, endpoint '' for the edge as a whole), keyed by
   * window: 2 × start + (0 for 1 s, 1 for 10 s). Two levels and a memo of the last record's
   * groups, because consecutive records mostly share them (a message packs one edge): building
   * a string key per record and window was a tenth of the job's CPU, most of it garbage.
   */
  readonly #groups = new Map<string, Map<number, WindowStats>>();
  #openCount = 0;
  #memo:
    | {
        source: string;
        destination: string;
        endpoint: string;
        instance: string;
        groups: Group[];
      }
    | undefined;
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
    return this.#openCount;
  }

  /** The window maps of `record`'s groups: its edge, its endpoint, its calling instance. */
  #groupsOf(record: AccessLogRecord): Group[] {
    const { sourceService: source, destinationCluster: destination } = record;
    const { upstreamEndpoint: endpoint, sourceInstance: instance } = record;
    const memo = this.#memo;
    if (
      memo !== undefined &&
      memo.source === source &&
      memo.destination === destination &&
      memo.endpoint === endpoint &&
      memo.instance === instance
    )
      return memo.groups;
    const edge = `${source}→${destination}`;
    const wanted: Array<Omit<Group, 'windows'> & { key: string }> = [
      { key: `${edge}|`, endpoint: '', instance: '', lengths: windowSeconds.length },
    ];
    if (endpoint !== '')
      wanted.push({ key: `${edge}|${endpoint}`, endpoint, instance: '', lengths: 2 });
    // 1 s only: the policy reads 1 s windows, and each instance multiplies the edge's windows.
    if (instance !== '')
      wanted.push({ key: `${edge}|@${instance}`, endpoint: '', instance, lengths: 1 });
    const groups = wanted.map(({ key, ...group }) => {
      let windows = this.#groups.get(key);
      if (!windows) {
        windows = new Map();
        this.#groups.set(key, windows);
      }
      return { ...group, windows };
    });
    this.#memo = { source, destination, endpoint, instance, groups };
    return groups;
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
    const groups = this.#groupsOf(record);
    const flags = splitFlags(record.responseFlags);
    for (const [index, seconds] of windowSeconds.entries()) {
      const start = Math.floor(eventMs / (seconds * 1000)) * seconds * 1000;
      if (start + seconds * 1000 <= this.#emittedUpToMs) {
        late.push(seconds);
        continue;
      }
      const key = 2 * start + index;
      for (const group of groups) {
        if (index >= group.lengths) continue;
        let window = group.windows.get(key);
        if (!window) {
          window = emptyWindow(record, group, start, seconds, offset);
          group.windows.set(key, window);
          this.#openCount += 1;
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
    for (const [name, group] of this.#groups) {
      for (const [key, window] of group) {
        if (window.windowStartMs + window.windowSeconds * 1000 <= this.#watermarkMs) {
          closed.push(window);
          group.delete(key);
          this.#openCount -= 1;
        }
      }
      // An edge that went quiet leaves no empty map behind (the memo may still hold it: harmless).
      if (group.size === 0) {
        this.#groups.delete(name);
        this.#memo = undefined;
      }
    }
    this.#emittedUpToMs = Math.max(this.#emittedUpToMs, this.#watermarkMs);
    return closed.sort((a, b) => a.windowStartMs - b.windowStartMs);
  }

  /** The lowest offset held by an open window; undefined when none is open. */
  minOpenOffset(): number | undefined {
    let min: number | undefined;
    for (const group of this.#groups.values())
      for (const window of group.values())
        if (min === undefined || window.firstOffset < min) min = window.firstOffset;
    return min;
  }
}
