/**
 * A benchmark backend: an HTTP server whose service time is lognormal and whose concurrency is
 * a bounded worker pool with a bounded queue, like a thread-per-request server. Work is a timer
 * holding a worker slot (an I/O-bound service), not CPU burnt: on a 2-core machine burning CPU
 * in five backends would make the machine, not the routing, the thing measured. Every answer
 * names the backend in `x-backend`.
 */

import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { closeServer, listen } from '../../demo/fleet/service.ts';
import { clockMs } from '../../demo/load/open-loop.ts';
import { lognormal, seededRandom } from '../../demo/load/poisson.ts';

/**
 * A fault, set at run time (all fields default to "no fault"):
 * - `latencyFactor` (number ≥ 1, default 1): every service time × this (S1: 5).
 * - `slowShare` (0..1, default 0) and `slowMs` (number, default 0): this share of requests
 *   takes `slowMs` instead of its service time, holding its worker (S2: 0.1 × 1000 ms; S4: 1 ×
 *   2000 ms).
 * - `failShare` (0..1, default 0): this share is answered 503 on arrival, costing no worker
 *   (S3: 0.5).
 */
export interface BackendFault {
  latencyFactor?: number;
  slowShare?: number;
  slowMs?: number;
  failShare?: number;
}

/**
 * Options for {@link startBackend}.
 * - `name` (string, required): the `x-backend` value.
 * - `port` (number, default 0: any free port) on 127.0.0.1.
 * - `medianMs` (number, default 10), `sigma` (number, default 0.5): the lognormal service time
 *   median·e^(σZ): mean 11.3 ms, p99 32 ms with the defaults.
 * - `workers` (number, default 16): requests served at once.
 * - `queue` (number, default 64): requests waiting for a worker; one more is answered 503 at
 *   once (load shedding), as a full accept queue or thread pool would.
 * - `seed` (number, default 1): service times and fault draws.
 */
export interface BackendOptions {
  name: string;
  port?: number;
  medianMs?: number;
  sigma?: number;
  workers?: number;
  queue?: number;
  seed?: number;
}

/** What a backend did, counted since it started. */
export interface BackendCounters {
  arrived: number;
  served: number;
  /** 503 because the queue was full. */
  shed: number;
  /** 503 because the fault said so. */
  failed: number;
}

export interface RunningBackend {
  readonly name: string;
  readonly port: number;
  readonly counters: Readonly<BackendCounters>;
  /** Arrival times (ms since the epoch) of every request, in order. */
  arrivals(): Float64Array;
  setFault(fault: BackendFault): void;
  close(): Promise<void>;
}

export async function startBackend(options: BackendOptions): Promise<RunningBackend> {
  const medianMs = options.medianMs ?? 10;
  const sigma = options.sigma ?? 0.5;
  const workers = options.workers ?? 16;
  const queueLimit = options.queue ?? 64;
  const random = seededRandom(options.seed ?? 1);
  const counters: BackendCounters = { arrived: 0, served: 0, shed: 0, failed: 0 };
  const arrivals: number[] = [];
  const waiting: Array<() => void> = [];
  let busy = 0;
  let fault: Required<BackendFault> = { latencyFactor: 1, slowShare: 0, slowMs: 0, failShare: 0 };

  const answer = (res: http.ServerResponse, status: number) => {
    res.writeHead(status, { 'x-backend': options.name, 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok\n' : 'unavailable\n');
  };
  const serviceMs = () =>
    fault.slowShare > 0 && random() < fault.slowShare
      ? fault.slowMs
      : lognormal(random, medianMs, sigma) * fault.latencyFactor;
  const work = async (res: http.ServerResponse) => {
    busy += 1;
    await delay(serviceMs());
    busy -= 1;
    counters.served += 1;
    // A client that gave up (the proxy's timeout) still cost the worker its time, as in life.
    if (!res.destroyed) answer(res, 200);
    waiting.shift()?.();
  };

  const server = http.createServer((req, res) => {
    req.resume();
    arrivals.push(clockMs());
    counters.arrived += 1;
    if (fault.failShare > 0 && random() < fault.failShare) {
      counters.failed += 1;
      return answer(res, 503);
    }
    if (busy < workers) return void work(res);
    if (waiting.length >= queueLimit) {
      counters.shed += 1;
      return answer(res, 503);
    }
    waiting.push(() => void work(res));
  });
  // Never close an idle keep-alive connection: Envoy may be sending on it at that moment, and
  // the resulting resets would be noise in every arm.
  server.keepAliveTimeout = 0;
  const port = await listen(server, options.port ?? 0);
  return {
    name: options.name,
    port,
    counters,
    arrivals: () => Float64Array.from(arrivals),
    setFault(next) {
      fault = {
        latencyFactor: next.latencyFactor ?? 1,
        slowShare: next.slowShare ?? 0,
        slowMs: next.slowMs ?? 0,
        failShare: next.failShare ?? 0,
      };
    },
    close: () => closeServer(server),
  };
}
