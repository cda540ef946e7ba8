import type { Horizon } from './model.ts';
import type { EdgeView, NodeView, RedStatsView } from './snapshot.ts';

/**
 * The graph's change feed: what the SSE stream sends after an initial snapshot. Every change is
 * a small JSON-able value stamped with the fold's clock (`atMs`). A client that takes
 * `fold.snapshot()` and subscribes in the same tick (no await between) misses nothing and
 * sees nothing twice: the fold changes only inside its synchronous methods.
 */
export type GraphChange =
  | { type: 'node-added'; atMs: number; node: NodeView }
  /** The node's kind (virtual → service) or health changed. */
  | { type: 'node-changed'; atMs: number; node: NodeView }
  | { type: 'node-removed'; atMs: number; key: string }
  | { type: 'edge-added'; atMs: number; edge: EdgeView }
  /** New statistics of an edge: at most one per edge per `statsEventIntervalMs` of fold time. */
  | {
      type: 'edge-stats';
      atMs: number;
      key: string;
      lastSeenMs: number;
      stats: Record<Horizon, RedStatsView>;
    }
  | { type: 'edge-removed'; atMs: number; key: string; source: string; target: string };

export type ChangeListener = (change: GraphChange) => void;

/**
 * Listeners for {@link GraphChange}s: `subscribe` returns the function that unsubscribes.
 * A listener that throws does not stop the others nor the fold: its error goes to `onError`
 * (default: rethrown from a microtask, so it surfaces as an uncaught exception instead of
 * leaving the fold half-updated).
 */
export class ChangeFeed {
  readonly #listeners = new Set<ChangeListener>();

  constructor(
    readonly onError: (error: unknown) => void = (error) =>
      queueMicrotask(() => {
        throw error;
      }),
  ) {}

  get listeners(): number {
    return this.#listeners.size;
  }

  subscribe(listener: ChangeListener): () => void {
    // A wrapper per subscription, so subscribing the same function twice delivers twice and
    // each unsubscribe removes its own.
    const entry: ChangeListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(change: GraphChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

/**
 * Rate-limits `edge-stats` changes per edge. `mark` notes that an edge's statistics changed;
 * `take` says whether to send now (marked, and `intervalMs` since the last one sent) and then
 * clears the mark. A change held back stays marked and goes out with a later `take`, so the
 * last state is never lost, only delayed.
 */
export class StatsThrottle {
  readonly #sentAt = new Map<string, number>();
  readonly #marked = new Set<string>();

  constructor(readonly intervalMs: number) {}

  mark(key: string): void {
    this.#marked.add(key);
  }

  /** Records a send that happened outside `take` (an `edge-added` carries its stats). */
  sent(key: string, atMs: number): void {
    this.#marked.delete(key);
    this.#sentAt.set(key, atMs);
  }

  take(key: string, atMs: number): boolean {
    if (!this.#marked.has(key)) return false;
    const last = this.#sentAt.get(key);
    if (last !== undefined && atMs - last < this.intervalMs) return false;
    this.sent(key, atMs);
    return true;
  }

  forget(key: string): void {
    this.#marked.delete(key);
    this.#sentAt.delete(key);
  }
}
