import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * Options for {@link registerHealth}.
 * - `ready` (() => { ready: boolean; reason?: string }): readiness, e.g. "config loaded and
 *   routing caught up"; `/readyz` answers 503 with the reason until it holds.
 * - `metrics` (Registry): served at `/metrics` in Prometheus text format.
 */
export interface HealthOptions {
  ready: () => { ready: boolean; reason?: string };
  metrics: Registry;
}

/** `/healthz` (the process answers), `/readyz` (it can do its job) and `/metrics`. */
export function registerHealth(app: FastifyInstance, options: HealthOptions): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { ready, reason } = options.ready();
    if (!ready)
      return reply
        .status(503)
        .send({ error: { code: 'NOT_READY', message: reason ?? 'not ready' } });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.metrics();
  });
}
