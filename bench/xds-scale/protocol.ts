/**
 * The IPC messages between the driver (run.ts) and its two children (server.ts, clients.ts),
 * and a small typed wrapper over a forked child. Children are forked with `serialization:
 * 'advanced'` so CLOCK_MONOTONIC readings travel as exact bigints (nanoseconds since boot do
 * not fit a double's 53 bits after ~104 days of uptime).
 */

import { type ChildProcess, fork } from 'node:child_process';

export interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

export type ToServer =
  | { type: 'start'; clusters: number; endpoints: number }
  | { type: 'clock' }
  | { type: 'memory' }
  | { type: 'apply'; change: number; cluster: string; weights: [string, number][] }
  | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; grpcPort: number }
  | { type: 'clock'; now: bigint }
  | { type: 'memory'; memory: Memory }
  /** `t0`: right before `apply`; `t1`: after it returned (every stream's write queued). */
  | { type: 'applied'; change: number; t0: bigint; t1: bigint; settleMs: number }
  | { type: 'error'; message: string };

export type ToClients =
  | { type: 'start'; port: number; streams: number; perChannel: number }
  | { type: 'clock' }
  | { type: 'memory' }
  | { type: 'expect'; change: number; cluster: string; endpoint: string; weight: number }
  | { type: 'stop' };

export type FromClients =
  | { type: 'synced'; ms: number; channels: number }
  | { type: 'clock'; now: bigint }
  | { type: 'memory'; memory: Memory }
  | { type: 'expecting'; change: number }
  /**
   * Per stream, when it got the EDS response carrying the change's weight; `busyMs`: the
   * clients' event loop active time from 'expect' to the last receipt.
   */
  | { type: 'received'; change: number; times: BigInt64Array; busyMs: number }
  | { type: 'error'; message: string };

type Of<M, T> = Extract<M, { type: T }>;

/** A forked child speaking `In` (what it receives) and `Out` (what it sends). */
export class Peer<In extends { type: string }, Out extends { type: string }> {
  readonly child: ChildProcess;
  readonly #queue: Out[] = [];
  readonly #waiters = new Set<{
    type: string;
    resolve: (m: Out) => void;
    fail: (e: Error) => void;
  }>();
  #failure: Error | undefined;

  constructor(
    readonly name: string,
    module: URL,
    execArgv: string[] = [],
  ) {
    this.child = fork(module, [], {
      execArgv: [...loaderArgs(), ...execArgv],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: Out) => {
      if (m.type === 'error')
        return this.#fail(new Error(`${name}: ${(m as { message?: string }).message}`));
      const waiter = [...this.#waiters].find((w) => w.type === m.type);
      if (!waiter) return void this.#queue.push(m);
      this.#waiters.delete(waiter);
      waiter.resolve(m);
    });
    this.child.on('exit', (code, signal) =>
      this.#fail(new Error(`${name} exited (code ${code}, signal ${signal})`)),
    );
  }

  send(message: In): void {
    this.child.send(message);
  }

  /** The next message of `type` (queued or to come); rejects after `timeoutMs` or on exit. */
  next<T extends Out['type']>(type: T, timeoutMs = 120_000): Promise<Of<Out, T>> {
    const i = this.#queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.#queue.splice(i, 1)[0] as Of<Out, T>);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${this.name}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (m: Out) => {
          clearTimeout(timer);
          resolve(m as Of<Out, T>);
        },
        fail: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Sends `message` and awaits the reply of type `reply`. */
  ask<T extends Out['type']>(message: In, reply: T, timeoutMs?: number): Promise<Of<Out, T>> {
    const answer = this.next(reply, timeoutMs);
    this.send(message);
    return answer;
  }

  /** Asks the child to stop; kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters) waiter.fail(error);
    this.#waiters.clear();
  }
}

/**
 * Node flags that let a child load TypeScript: ours when tsx's CLI started us (its loader flags
 * are in process.execArgv); else (e.g. tsx registered in-process, as bin/meshgraph.js does)
 * tsx's loader, resolved from here so it does not depend on the working directory.
 */
function loaderArgs(): string[] {
  if (process.execArgv.some((arg) => arg.includes('tsx'))) return process.execArgv;
  return ['--import', import.meta.resolve('tsx')];
}

/** Runs `handle` for each message from the parent; a throw is reported as an 'error' message. */
export function serve<In>(handle: (message: In) => unknown): void {
  process.on('message', (message: In) => {
    Promise.resolve()
      .then(() => handle(message))
      .catch((error: Error) =>
        process.send?.({ type: 'error', message: error.stack ?? String(error) }),
      );
  });
}

/** CLOCK_MONOTONIC on Linux (libuv's uv_hrtime): one clock for every process on the machine. */
export const now = (): bigint => process.hrtime.bigint();

/** Heap after a full GC (children run with --expose-gc), so it counts what is retained. */
export function memory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
}
