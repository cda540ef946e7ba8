/**
 * GC pauses over a stretch of work, from perf_hooks' `gc` entries (they reach the observer
 * asynchronously, hence the awaits), and memory read after a full GC (needs --expose-gc).
 */

import { PerformanceObserver } from 'node:perf_hooks';

export interface Memory {
  readonly heapUsed: number;
  readonly rss: number;
}

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

export function memoryNow(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bench/graph: run node with --expose-gc (memory is read after a GC)');
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}
