import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { analysesPlugin } from './analyses-plugin.ts';
import { graphRoutes } from './graph-routes.ts';
import { type GraphHistory, GraphReader, type LiveGraph } from './source.ts';
import { streamPlugin } from './stream.ts';

export type { GraphHistory, LiveGraph } from './source.ts';

/**
 * Options for {@link graphApiPlugin}.
 * - `fold` (LiveGraph, required): the live graph; a GraphFold (stream-jobs/graph/fold.ts).
 * - `now` (() => number, default Date.now): wall time in ms; the fold is advanced to it before
 *   each answer, so statistics decay while no window arrives.
 * - `history` ((tMs, horizon) => Promise<ServiceGraph>, default none): the graph at an earlier
 *   time, for `at`; `(t, h) => graphAt(store, t, h)` (history.ts). Without it `at` is refused
 *   with 400 HISTORY_UNAVAILABLE.
 * - `capacityRps` (() => Record<string, number>, default none): per-endpoint capacity of each
 *   service, for `bottlenecks?by=saturation`.
 * - `heartbeatMs` (number, default 15,000), `maxBufferedBytes` (number, default 8 MiB): the SSE
 *   stream's, see sse.ts.
 * - `metrics` (Registry, default none): where the SSE stream's metrics go.
 */
export interface GraphApiOptions {
  fold: LiveGraph;
  now?: () => number;
  history?: GraphHistory | undefined;
  capacityRps?: (() => Record<string, number>) | undefined;
  heartbeatMs?: number | undefined;
  maxBufferedBytes?: number | undefined;
  metrics?: Registry | undefined;
}

/**
 * The graph API: `/v1/graph`, `/v1/graph/nodes/:node`, `/v1/analyses/*` and the SSE stream
 * `/v1/graph/stream`. Read-only, so no token. Register @fastify/swagger before it (api/app.ts
 * does) for the routes to appear in the OpenAPI document.
 */
export async function graphApiPlugin(app: FastifyInstance, options: GraphApiOptions) {
  const now = options.now ?? Date.now;
  const reader = new GraphReader(options.fold, now, options.history);
  await app.register(graphRoutes, { reader });
  await app.register(analysesPlugin, { reader, capacityRps: options.capacityRps });
  await app.register(streamPlugin, {
    fold: options.fold,
    now,
    heartbeatMs: options.heartbeatMs,
    maxBufferedBytes: options.maxBufferedBytes,
    metrics: options.metrics,
  });
}
