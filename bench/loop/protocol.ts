/**
 * IPC between the loop benchmark's driver (run.ts) and its two children: the backends
 * (backends.ts) and the load generator (loadgen.ts). Each is a process of its own so the
 * generator's timers never wait behind backend work, and neither shares an event loop with
 * the driver's polling. The forked-child wrapper is xds-scale's.
 */

import type { OpenLoopSummary } from '../../demo/load/open-loop.ts';
import type { Columns } from '../../demo/load/recorder.ts';
import type { BackendCounters, BackendFault } from './backend.ts';

export { Peer, serve } from '../xds-scale/protocol.ts';

export interface BackendsSpec {
  count: number;
  medianMs: number;
  sigma: number;
  workers: number;
  queue: number;
  seed: number;
}

export type ToBackends =
  | { type: 'start'; spec: BackendsSpec }
  /** Replaces backend `index`'s fault; `{}` clears it. */
  | { type: 'fault'; index: number; fault: BackendFault }
  | { type: 'report' }
  | { type: 'stop' };

export type FromBackends =
  | { type: 'ready'; names: string[]; ports: number[] }
  | { type: 'fault-set'; index: number; atMs: number }
  /** Per backend: every arrival time (ms since the epoch) and its counters. */
  | { type: 'report'; arrivals: Float64Array[]; counters: BackendCounters[] }
  | { type: 'error'; message: string };

export interface LoadSpec {
  url: string;
  ratePerSecond: number;
  seed: number;
  timeoutMs: number;
  startAtMs: number;
  durationMs: number;
}

export type ToLoad = { type: 'start'; spec: LoadSpec } | { type: 'stop' };

export type FromLoad =
  | { type: 'started' }
  | { type: 'done'; summary: OpenLoopSummary; columns: Columns }
  | { type: 'error'; message: string };
