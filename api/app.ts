import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { ClickHouseStore } from '../lib/clickhouse/store.ts';
import { createHttpApp } from '../lib/http/app.ts';
import { registerHealth } from '../lib/http/health.ts';
import type { Logger } from '../lib/log.ts';
import { dashboardsPlugin } from './dashboards/plugin.ts';
import { type GraphApiOptions, graphApiPlugin } from './graph/plugin.ts';
import { registerOpenApi } from './openapi.ts';
import { webPlugin } from './web/plugin.ts';

/**
 * A plugin the API process adds next to the graph API (decisions, overrides, the live page):
 * it receives the app and the shared settings, and registers its routes with their schemas.
 */
export type ApiPlugin = (
  app: FastifyInstance,
  shared: { token: string | undefined; log: Logger },
) => unknown;

/**
 * Options for {@link createApiApp}; the graph API's own (`fold`, `now`, `history`,
 * `capacityRps`, `heartbeatMs`, `maxBufferedBytes`) are described at GraphApiOptions.
 * - `log` (Logger, required).
 * - `token` (string, default none): bearer token handed to `extraPlugins` for their mutating
 *   routes (lib/http/auth.ts refuses every mutation without one). The graph API is read-only.
 * - `ready` (() => { ready, reason? }, default always ready): what `/readyz` reports.
 * - `metrics` (Registry, default a new one): served at `/metrics`; the SSE stream adds its own.
 * - `extraPlugins` (ApiPlugin[], default none): registered after the graph API, in order,
 *   each in its own encapsulated context, after swagger, so they appear in `/openapi.json`.
 * - `store` (ClickHouseStore, default none): with it, `/v1/dashboards` and `/v1/series`
 *   (api/dashboards/) are served. The pages under `/ui` (api/web/) are always served.
 */
export interface ApiAppOptions extends GraphApiOptions {
  log: Logger;
  token?: string | undefined;
  ready?: () => { ready: boolean; reason?: string };
  metrics?: Registry | undefined;
  extraPlugins?: ApiPlugin[];
  store?: ClickHouseStore | undefined;
}

/** The API's fastify app, routes registered, not listening (tests `inject()` into it). */
export async function createApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const { log, token } = options;
  const metrics = options.metrics ?? new Registry();
  const app = createHttpApp(log);
  await registerOpenApi(app);
  registerHealth(app, { metrics, ready: options.ready ?? (() => ({ ready: true })) });
  await app.register(graphApiPlugin, { ...options, metrics });
  await app.register(webPlugin);
  if (options.store)
    await app.register(dashboardsPlugin, { store: options.store, now: options.now });
  for (const plugin of options.extraPlugins ?? []) {
    await app.register(async (scope) => {
      await plugin(scope, { token, log });
    });
  }
  await app.ready();
  return app;
}
