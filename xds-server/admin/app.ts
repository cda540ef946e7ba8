import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createHttpApp } from '../../lib/http/app.ts';
import { registerHealth } from '../../lib/http/health.ts';
import type { Logger } from '../../lib/log.ts';
import type { SyncStatus } from '../ads/sync-status.ts';
import type { ControlPlane } from '../control-plane.ts';
import { xdsAdminPlugin } from './plugin.ts';

/**
 * Options for {@link createXdsAdminApp}.
 * - `controlPlane` (ControlPlane): readiness (a config is served) and where weight changes go.
 * - `syncStatus` (SyncStatus), `metrics` (Registry): what `/v1/sync-status` and `/metrics` show.
 * - `token` (string | undefined): bearer token for mutations; undefined refuses them all.
 * - `log` (Logger).
 */
export interface XdsAdminAppOptions {
  controlPlane: ControlPlane;
  syncStatus: SyncStatus;
  metrics: Registry;
  token: string | undefined;
  log: Logger;
}

/** The xds-server's HTTP side, ready to `listen` (or to `inject` in tests). */
export async function createXdsAdminApp(options: XdsAdminAppOptions): Promise<FastifyInstance> {
  const app = createHttpApp(options.log);
  registerHealth(app, {
    metrics: options.metrics,
    ready: () =>
      options.controlPlane.synced
        ? { ready: true }
        : { ready: false, reason: 'no mesh config served yet' },
  });
  await app.register(xdsAdminPlugin, {
    routing: options.controlPlane,
    syncStatus: options.syncStatus,
    token: options.token,
  });
  return app;
}
