import { ApiError } from '../../lib/http/errors.ts';
import { GraphAnalysisError } from '../../stream-jobs/graph/analyses/errors.ts';
import type { ChangeListener } from '../../stream-jobs/graph/events.ts';
import type { Horizon, ServiceGraph } from '../../stream-jobs/graph/model.ts';
import type { GraphSnapshot } from '../../stream-jobs/graph/snapshot.ts';

/**
 * What the graph API reads the live graph from: the parts of GraphFold (stream-jobs/graph/
 * fold.ts) it uses, so a GraphFold is passed as it is. `advance` + `graph()` let a request read
 * a 10,000-node graph in place; `snapshot` copies it whole and is kept for the SSE stream's
 * first event only.
 */
export interface LiveGraph {
  graph(): ServiceGraph;
  advance(nowMs: number): void;
  /** The time statistics are evaluated at; −Infinity before any input. */
  readonly clockMs: number;
  snapshot(nowMs: number): GraphSnapshot;
  subscribe(listener: ChangeListener): () => void;
}

/**
 * The graph as it was at `tMs` over `horizon` (ms since epoch); in production
 * `(t, h) => graphAt(store, t, h)` (stream-jobs/graph/history.ts) over ClickHouse.
 */
export type GraphHistory = (tMs: number, horizon: Horizon) => Promise<ServiceGraph>;

/** A graph to answer from and the time its statistics are evaluated at. */
export interface GraphAt {
  graph: ServiceGraph;
  atMs: number;
}

/** Reads the live graph (advanced to `now()`) or, when a request names `at`, the history. */
export class GraphReader {
  constructor(
    readonly fold: LiveGraph,
    readonly now: () => number,
    readonly history: GraphHistory | undefined,
  ) {}

  /** The live graph, its decay brought up to now (a no-op when the fold's clock is there). */
  live(): GraphAt {
    const now = this.now();
    this.fold.advance(now);
    const clock = this.fold.clockMs;
    return { graph: this.fold.graph(), atMs: Number.isFinite(clock) ? clock : now };
  }

  /** `at` undefined: the live graph; otherwise the history at that time over `horizon`. */
  async read(at: string | undefined, horizon: Horizon): Promise<GraphAt> {
    if (at === undefined) return this.live();
    const tMs = parseAt(at);
    if (this.history === undefined) {
      throw new ApiError(
        'HISTORY_UNAVAILABLE',
        'querystring/at needs the graph history (ClickHouse), and this server runs without it',
      );
    }
    return { graph: await this.history(tMs, horizon), atMs: tMs };
  }
}

/**
 * A time query parameter (`at`, `since`, …) as ms since the epoch (all digits) or an ISO 8601
 * time such as `2026-01-01T12:00:00Z`; anything else is a 400 naming the parameter.
 */
export function parseAt(value: string, parameter = 'at'): number {
  const ms = /^\d+$/.test(value)
    ? Number(value)
    : /^\d{4}-\d{2}-\d{2}/.test(value)
      ? Date.parse(value)
      : Number.NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new ApiError(
      'BAD_REQUEST',
      `querystring/${parameter} must be an ISO 8601 time or ms since the epoch, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/**
 * Runs an analysis and turns its GraphAnalysisError into an ApiError with the same code (the
 * status comes from lib/http/errors.ts: 404 unknown node/edge, 422 not converged, else 400).
 * Other errors pass through to the shared handler (500, logged).
 */
export function analyse<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof GraphAnalysisError) throw new ApiError(error.code, error.message);
    throw error;
  }
}
