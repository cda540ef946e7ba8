/**
 * GC pauses over a stretch of work, from perf_hooks' `gc` entries (they reach the observer
 * asynchronously, hence the awaits), and memory read after a full GC (needs --expose-gc).
 */

import { PerformanceObserver } from 'node:perf_hooks';

export interface Memory {
  readonly heapUsed: number;
  /** Typed-array backing stores: outside V8's heap (and its limit), but memory all the same. */
  readonly arrayBuffers: number;
  readonly rss: number;
}

/** What a structure holds: V8 heap plus the typed arrays it points to. */
export const heldBytes = (m: Memory) => m.heapUsed + m.arrayBuffers;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * Yields until pending `gc` entries have reached the observer: Node makes each entry in a native
 * immediate after the GC and dispatches it to observers in a later one (one yield is not enough).
 */
const tick = async () => {
  for (let i = 0; i < 3; i++) await immediate();
};

export class GcMeter {
  #ms = 0;
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.#ms += entry.duration;
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Starts a stretch: entries of earlier work are delivered and forgotten. */
  async start(): Promise<void> {
    await tick();
    this.#ms = 0;
  }

  /** GC pause time (ms) since `start`. */
  async read(): Promise<number> {
    await tick();
    return this.#ms;
  }

  stop(): void {
    this.#observer.disconnect();
  }
}

/**
 * Memory after full GCs. V8 frees the backing stores of dead typed arrays on a background
 * thread after a GC, so `arrayBuffers` right after one can still count megabytes of garbage:
 * collect and wait until it stops falling (at most 10 rounds of 50 ms).
 */
export async function memoryNow(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bench/graph: run node with --expose-gc (memory is read after a GC)');
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 10; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { arrayBuffers } = process.memoryUsage();
    if (arrayBuffers >= last) break;
    last = arrayBuffers;
  }
  gc();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heapUsed, arrayBuffers, rss };
}
