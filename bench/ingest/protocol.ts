/**
 * IPC messages between the ingest driver (run.ts) and its three children: the synthetic ALS
 * client (client.ts), the collector (collector.ts) and the rollup job (rollup.ts), each in a
 * process of its own so none shares an event loop (or a CPU figure) with another. The forked-child
 * wrapper is xds-scale's.
 */

export { Peer, serve } from '../xds-scale/protocol.ts';

export type ToClient =
  | { type: 'start'; port: number; streams: number; batch: number }
  /** Send `rate` records/s for `durationMs` from wall time `t0` (open loop). */
  | { type: 'go'; t0: number; rate: number; durationMs: number }
  | { type: 'stop' };

export type FromClient =
  | { type: 'ready' }
  /**
   * `sent`: records written; `lateMaxMs`: the most a write ran behind its schedule; `busy`: the
   * event loop's utilization while sending; `pendingMaxBytes`: the most bytes gRPC held unsent.
   */
  | {
      type: 'done';
      sent: number;
      messages: number;
      lateMaxMs: number;
      busy: number;
      pendingMaxBytes: number;
    }
  | { type: 'error'; message: string };

export type ToCollector = { type: 'start'; brokers: string[] } | { type: 'stop' };
export type FromCollector =
  | { type: 'ready'; grpcPort: number; adminPort: number }
  | { type: 'error'; message: string };

export type ToRollup =
  | { type: 'start'; brokers: string[]; dir: string }
  /** Count lags of records whose start time is in [from, to); acks per second from `t0`. */
  | { type: 'window'; t0: number; from: number; to: number }
  | { type: 'report' }
  | { type: 'stop' };

export type FromRollup =
  | { type: 'ready' }
  | {
      type: 'report';
      /** Rows ClickHouse acknowledged, in all. */
      inserted: number;
      inserts: number;
      /** Rows acknowledged while the wall clock was in [from, to). */
      insertedInWindow: number;
      /** Lag histogram of the window's records: [ms, count] pairs. */
      lag: Array<[number, number]>;
      /** Rows acknowledged in each second from t0. */
      perSecond: number[];
      /** Rows per insert (what one (batch, partition) carried): mean over the window. */
      rowsPerInsert: number;
      /** Mean milliseconds per access_log insert over the window. */
      insertMs: number;
    }
  | { type: 'error'; message: string };
