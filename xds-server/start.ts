import { Registry } from 'prom-client';
import { createKafka } from '../lib/kafka.ts';
import type { Logger } from '../lib/log.ts';
import { ensureTopics, routingTopic } from '../stream-jobs/topics.ts';
import { createXdsAdminApp } from './admin/app.ts';
import { AdsMetrics } from './ads/metrics.ts';
import { createAdsServer } from './ads/server.ts';
import { SyncStatus } from './ads/sync-status.ts';
import { audienceOf, ControlPlane } from './control-plane.ts';
import { loadMeshConfig, watchMeshConfig } from './mesh-config/load.ts';
import { formatIssue } from './mesh-config/parse.ts';
import { type RoutingFeedOptions, startRoutingFeed } from './routing/feed.ts';
import { LoopLatency } from './routing/loop-latency.ts';
import { SnapshotCache } from './snapshot/cache.ts';
import { TypeUrl } from './snapshot/types.ts';

/**
 * Options for {@link startXdsServer}.
 * - `configFile` (string, required): the mesh config YAML; watched and hot-reloaded.
 * - `grpcAddress` (string, default `127.0.0.1:18000`): where Envoy and gRPC clients reach ADS;
 *   port 0 picks a free one.
 * - `adminHost` (string, default `127.0.0.1`), `adminPort` (number, default 18001; 0 = any):
 *   the admin HTTP API (health, readiness, metrics, sync status, weights).
 * - `token` (string, default none): bearer token for mutating admin routes; none = refused.
 * - `brokers` (string[], default none): Kafka, to follow routing.v1 (the policy job's
 *   decisions). With it, ADS starts serving only once the topic is read to its end, so a
 *   restarted replica never pushes configured weights over the policy's current ones.
 * - `replicationFactor` (number, default 1): for routing.v1 if this creates it.
 * - `decisionExpiryMs` (number, default 30,000): a policy decision older than this is cleared
 *   (configured weights): the policy job refreshes live decisions every 10 s, so an old one
 *   means it stopped.
 * - `log` (Logger, required).
 */
export interface XdsServerOptions {
  configFile: string;
  grpcAddress?: string;
  adminHost?: string;
  adminPort?: number;
  token?: string;
  brokers?: string[] | undefined;
  replicationFactor?: number;
  decisionExpiryMs?: number;
  log: Logger;
}

export interface RunningXdsServer {
  readonly grpcPort: number;
  readonly adminPort: number;
  readonly controlPlane: ControlPlane;
  readonly syncStatus: SyncStatus;
  close(): Promise<void>;
}

/** The mesh config is invalid at start: nothing to serve. Its message lists every issue. */
export class MeshConfigError extends Error {
  override name = 'MeshConfigError';
}

/**
 * The xds-server component: loads the mesh config (refusing to start on an invalid one), serves
 * it over ADS, then keeps serving the last good config through edits, and exposes the admin API.
 */
export async function startXdsServer(options: XdsServerOptions): Promise<RunningXdsServer> {
  const { log } = options;
  const initial = await loadMeshConfig(options.configFile);
  if (!initial.ok) {
    throw new MeshConfigError(
      `invalid mesh config:\n${initial.errors.map(formatIssue).join('\n')}`,
    );
  }
  const registry = new Registry();
  const metrics = new AdsMetrics(registry);
  const syncStatus = new SyncStatus();
  const cache = new SnapshotCache({ groupOf: audienceOf });
  const controlPlane = new ControlPlane({ cache, log: log.child({ part: 'control-plane' }) });
  controlPlane.setConfig(initial.config);

  const loopLatency = new LoopLatency({ registry });
  const feed = options.brokers
    ? await followRouting(options.brokers, options.replicationFactor ?? 1, {
        log: log.child({ part: 'routing-feed' }),
        registry,
        sink: controlPlane,
        claVersion: (cluster) =>
          cache.getSnapshot('envoy')?.sets[TypeUrl.endpoint].resources.get(cluster)?.version,
        loopLatency,
        ...(options.decisionExpiryMs !== undefined && { expireAfterMs: options.decisionExpiryMs }),
      })
    : undefined;
  const watcher = watchMeshConfig(options.configFile, {
    log: log.child({ part: 'mesh-config' }),
    onConfig: (config) => {
      try {
        controlPlane.setConfig(config);
      } catch (error) {
        log.error({ err: error }, 'mesh config edit refused; the last good config keeps serving');
      }
    },
    onRejected: (issues) =>
      log.error(
        { issues: issues.map(formatIssue) },
        'invalid mesh config edit; the last good config keeps serving',
      ),
  });

  const ads = createAdsServer({
    watcher: cache,
    log: log.child({ part: 'ads' }),
    metrics,
    syncStatus,
    onAck: (node, type, resources) => loopLatency.acked(node, type, resources),
  });
  const admin = await createXdsAdminApp({
    controlPlane,
    syncStatus,
    metrics: registry,
    token: options.token,
    log: log.child({ part: 'admin' }),
  }).catch(async (error) => {
    watcher.close();
    await feed?.close();
    throw error;
  });
  try {
    const grpcPort = await ads.listen(options.grpcAddress ?? '127.0.0.1:18000');
    await admin.listen({
      host: options.adminHost ?? '127.0.0.1',
      port: options.adminPort ?? 18001,
    });
    const address = admin.server.address();
    const adminPort = typeof address === 'object' && address ? address.port : 0;
    log.info({ grpcPort, adminPort, configFile: options.configFile }, 'xds-server listening');
    return {
      grpcPort,
      adminPort,
      controlPlane,
      syncStatus,
      async close() {
        watcher.close();
        await Promise.all([admin.close(), ads.close(), feed?.close()]);
      },
    };
  } catch (error) {
    watcher.close();
    await Promise.allSettled([admin.close(), ads.close(), feed?.close()]);
    throw error;
  }
}

/** Reads routing.v1 to its end before returning: the caller serves ADS only after that. */
async function followRouting(
  brokers: string[],
  replicationFactor: number,
  options: Omit<RoutingFeedOptions, 'kafka'>,
) {
  const kafka = createKafka({ brokers, clientId: 'meshgraph-xds', log: options.log });
  await ensureTopics(kafka, [routingTopic], { replicationFactor, log: options.log });
  const feed = await startRoutingFeed({ ...options, kafka });
  try {
    await feed.ready;
  } catch (error) {
    await feed.close().catch(() => {});
    throw error;
  }
  return feed;
}
