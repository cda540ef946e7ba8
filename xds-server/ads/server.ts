/**
 * The ADS gRPC server (state of the world and delta) over @grpc/grpc-js: plumbing only. The
 * protocol lives in the pure state machines sotw.ts and delta.ts, the per-stream wiring in
 * stream-handler.ts.
 */

import {
  Server as GrpcServer,
  type Server,
  ServerCredentials,
  type ServerDuplexStream,
} from '@grpc/grpc-js';
import type { Logger } from '../../lib/log.ts';
import {
  type AggregatedDiscoveryServiceServer,
  AggregatedDiscoveryServiceService,
} from '../../schemas/gen/envoy/envoy/service/discovery/v3/ads.ts';
import type { SnapshotWatcher } from '../snapshot/cache.ts';
import { DeltaStream } from './delta.ts';
import type { AckListener } from './events.ts';
import type { AdsMetrics } from './metrics.ts';
import { NodeHistories } from './node-history.ts';
import { SotwStream } from './sotw.ts';
import { serveStream } from './stream-handler.ts';
import type { SyncStatus } from './sync-status.ts';

/**
 * Options for {@link createAdsServer}.
 * - `watcher` (SnapshotWatcher, required): where each node's snapshots come from.
 * - `log` (Logger, required): every log line of the server and its streams.
 * - `metrics` (AdsMetrics, default none): Prometheus metrics to update.
 * - `syncStatus` (SyncStatus, default none): per-node sync status to maintain.
 * - `onAck` (AckListener, default none): told of every ACK and the resources it covered.
 * - `histories` (NodeHistories, default a new one): per-node memory across streams (quarantined
 *   versions, last good resources); pass one to share it between servers in one process.
 */
export interface AdsServerOptions {
  watcher: SnapshotWatcher;
  log: Logger;
  metrics?: AdsMetrics;
  syncStatus?: SyncStatus;
  histories?: NodeHistories;
  onAck?: AckListener;
}

export interface AdsServer {
  /** The service implementation, for `server.addService(AggregatedDiscoveryServiceService, …)`. */
  readonly implementation: AggregatedDiscoveryServiceServer;
  /** Adds the ADS service to an existing gRPC server. */
  addTo(server: Server): void;
  /** Starts a gRPC server of its own on `address` (default `127.0.0.1:0`); resolves the port. */
  listen(address?: string): Promise<number>;
  /** Ends every open stream, then stops the server `listen` started (forced after `graceMs`, default 1000). */
  close(graceMs?: number): Promise<void>;
}

export function createAdsServer(options: AdsServerOptions): AdsServer {
  const open = new Set<ServerDuplexStream<unknown, unknown>>();
  const deps = { ...options, histories: options.histories ?? new NodeHistories(), open };
  let own: GrpcServer | undefined;

  const implementation: AggregatedDiscoveryServiceServer = {
    streamAggregatedResources: serveStream(
      deps,
      'sotw',
      'StreamAggregatedResources',
      (ctx) => new SotwStream(ctx),
    ),
    deltaAggregatedResources: serveStream(
      deps,
      'delta',
      'DeltaAggregatedResources',
      (ctx) => new DeltaStream(ctx),
    ),
  };

  return {
    implementation,
    addTo(server) {
      server.addService(AggregatedDiscoveryServiceService, implementation);
    },
    async listen(address = '127.0.0.1:0') {
      if (own)
        throw new Error(`AdsServer.listen: already listening; cannot also listen on "${address}"`);
      const server = new GrpcServer();
      server.addService(AggregatedDiscoveryServiceService, implementation);
      own = server;
      return new Promise<number>((resolve, reject) => {
        server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => {
          if (!error) return resolve(port);
          own = undefined;
          server.forceShutdown();
          reject(new Error(`AdsServer.listen: cannot bind "${address}": ${error.message}`));
        });
      });
    },
    async close(graceMs = 1000) {
      for (const call of [...open]) call.end();
      const server = own;
      own = undefined;
      if (!server) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
