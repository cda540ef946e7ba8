import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GraphChange } from '../../stream-jobs/graph/events.ts';
import { statsView } from '../../stream-jobs/graph/snapshot.ts';
import type { LiveGraph } from './source.ts';
import { SseConnection } from './sse.ts';

/**
 * Options for {@link streamPlugin}.
 * - `fold` (LiveGraph): the live graph and its change feed.
 * - `now` (() => number, default Date.now): the time the first snapshot is taken at.
 * - `heartbeatMs` (number, default 15,000), `maxBufferedBytes` (number, default 8 MiB): per
 *   connection, see SseOptions (sse.ts).
 * - `metrics` (Registry, default none): gets `meshgraph_api_sse_clients` and
 *   `meshgraph_api_sse_dropped_events_total`.
 */
export interface StreamOptions {
  fold: LiveGraph;
  now?: () => number;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  metrics?: Registry | undefined;
}

const description = `Server-Sent Events. First \`event: snapshot\` with the whole graph
(\`{ atMs, nodes, edges }\`, as \`/v1/graph\` shapes them), then one event per change, named by
its type: \`node-added\`, \`node-changed\`, \`node-removed\`, \`edge-added\`, \`edge-stats\`,
\`edge-removed\` (stream-jobs/graph/events.ts); \`data\` is the change as JSON. A comment line
(\`: heartbeat\`) keeps a quiet connection open. A client that falls behind loses \`edge-stats\`
events only, and gets each affected edge's latest statistics once it catches up; one too far
behind is disconnected and starts over with a new snapshot when it reconnects.`;

/** `/v1/graph/stream`: the live graph's changes as Server-Sent Events. */
export async function streamPlugin(app: FastifyInstance, options: StreamOptions): Promise<void> {
  const { fold } = options;
  const now = options.now ?? Date.now;
  const metrics = streamMetrics(options.metrics);
  const open = new Set<SseConnection>();
  // A stream never ends on its own, so closing the server must end them or it waits forever.
  app.addHook('preClose', async () => {
    for (const connection of open) connection.close();
  });

  const current = (key: string): GraphChange | undefined => {
    const graph = fold.graph();
    if (!graph.hasEdge(key)) return undefined;
    const { lastSeenMs, stats } = graph.getEdgeAttributes(key);
    return { type: 'edge-stats', atMs: fold.clockMs, key, lastSeenMs, stats: statsView(stats) };
  };

  app.get(
    '/v1/graph/stream',
    {
      // A HEAD would open a stream that never ends and carries nothing.
      exposeHeadRoute: false,
      schema: {
        summary: "The live graph's changes, as Server-Sent Events",
        description,
        tags: ['graph'],
        response: {
          200: {
            description: 'An endless text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
    },
    (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx buffers responses by default, which would hold events back.
        'x-accel-buffering': 'no',
      });
      const connection = new SseConnection(res, {
        heartbeatMs: options.heartbeatMs,
        maxBufferedBytes: options.maxBufferedBytes,
        current,
        onDrop: () => metrics?.dropped.inc(),
      });
      // Snapshot and subscription in one synchronous step: the fold changes only inside its
      // own synchronous methods, so no change falls between them (events.ts).
      connection.snapshot(fold.snapshot(now()));
      const unsubscribe = fold.subscribe((change) => connection.change(change));
      open.add(connection);
      metrics?.clients.inc();
      res.on('close', () => {
        unsubscribe();
        connection.close();
        open.delete(connection);
        metrics?.clients.dec();
        if (connection.dropped > 0) {
          request.log.debug({ dropped: connection.dropped }, 'SSE client dropped stats events');
        }
      });
    },
  );
}

function streamMetrics(registry: Registry | undefined) {
  if (registry === undefined) return undefined;
  // Reuse what an earlier app on the same registry created: registering a name twice throws.
  const clientsName = 'meshgraph_api_sse_clients';
  const droppedName = 'meshgraph_api_sse_dropped_events_total';
  const clients =
    (registry.getSingleMetric(clientsName) as Gauge | undefined) ??
    new Gauge({ name: clientsName, help: 'Open graph SSE streams', registers: [registry] });
  const dropped =
    (registry.getSingleMetric(droppedName) as Counter | undefined) ??
    new Counter({
      name: droppedName,
      help: 'edge-stats events not sent to a graph SSE client whose socket buffer was full',
      registers: [registry],
    });
  return { clients, dropped };
}
