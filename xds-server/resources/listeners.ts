import {
  ApiVersion,
  ConfigSource,
} from '../../schemas/gen/envoy/envoy/config/core/v3/config_source.ts';
import { Listener } from '../../schemas/gen/envoy/envoy/config/listener/v3/listener.ts';
import { HttpGrpcAccessLogConfig } from '../../schemas/gen/envoy/envoy/extensions/access_loggers/grpc/v3/als.ts';
import { Router } from '../../schemas/gen/envoy/envoy/extensions/filters/http/router/v3/router.ts';
import {
  HttpConnectionManager,
  type HttpConnectionManager as HttpConnectionManagerMessage,
} from '../../schemas/gen/envoy/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.ts';
import type { AccessLogConfig, ListenerConfig, MeshConfig } from '../mesh-config/types.ts';
import { packAny } from './any.ts';
import { accessLogClusterName } from './clusters.ts';

const hcmType = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerType = 'envoy.extensions.filters.http.router.v3.Router';
const grpcAccessLogType = 'envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig';

/**
 * Request headers every access-log entry carries besides Envoy's built-in fields, for the
 * collector: `x-meshgraph-source` names the calling service when the caller (or its sidecar)
 * sets it, which is what turns a log line into a graph edge for callers without node metadata;
 * `x-meshgraph-source-instance` names the calling instance, which graph-aware routing needs.
 */
export const accessLogRequestHeaders: readonly string[] = [
  'x-meshgraph-source',
  'x-meshgraph-source-instance',
];

/**
 * Response headers logged for LLM backends: the model that answered and its token usage, which
 * cost-aware routing needs and Envoy's built-in fields do not have.
 */
export const accessLogResponseHeaders: readonly string[] = [
  'x-meshgraph-model',
  'x-meshgraph-prompt-tokens',
  'x-meshgraph-completion-tokens',
];

/** Every listener's routes come over ADS as the RouteConfiguration named after the listener. */
export function routeConfigName(listener: ListenerConfig): string {
  return listener.name;
}

/**
 * One Listener per configured listener, in config order:
 * - with a `port`: a TCP listener on `address:port` whose single filter chain is an HTTP
 *   connection manager (RDS + router, plus the gRPC access log when `config.accessLog` is set);
 * - without: an API listener, the resource gRPC xDS clients (`@grpc/grpc-js-xds`) resolve for
 *   `xds:///name`. They ignore access logs (they have no ALS), so it carries none.
 */
export function buildListeners(config: MeshConfig): Listener[] {
  return config.listeners.map((listener) => {
    if (listener.port === undefined) {
      return Listener.fromPartial({
        name: listener.name,
        apiListener: {
          apiListener: packAny(hcmType, HttpConnectionManager, connectionManager(listener)),
        },
      });
    }
    const hcm = connectionManager(listener, config.accessLog);
    return Listener.fromPartial({
      name: listener.name,
      address: { socketAddress: { address: listener.address, portValue: listener.port } },
      filterChains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typedConfig: packAny(hcmType, HttpConnectionManager, hcm),
            },
          ],
        },
      ],
    });
  });
}

function connectionManager(
  listener: ListenerConfig,
  accessLog?: AccessLogConfig,
): HttpConnectionManagerMessage {
  return HttpConnectionManager.fromPartial({
    statPrefix: listener.name,
    rds: {
      // ADS, so Envoy fetches the routes on the same stream, ordered after the listener.
      configSource: ConfigSource.fromPartial({ ads: {}, resourceApiVersion: ApiVersion.V3 }),
      routeConfigName: routeConfigName(listener),
    },
    // The router must be the last (here: only) HTTP filter.
    httpFilters: [
      {
        name: 'envoy.filters.http.router',
        typedConfig: packAny(routerType, Router, Router.fromPartial({})),
      },
    ],
    accessLog: accessLog ? [grpcAccessLog(accessLog)] : [],
  });
}

function grpcAccessLog(accessLog: AccessLogConfig) {
  const als = HttpGrpcAccessLogConfig.fromPartial({
    commonConfig: {
      logName: accessLog.logName,
      transportApiVersion: ApiVersion.V3,
      grpcService: { envoyGrpc: { clusterName: accessLogClusterName } },
    },
    additionalRequestHeadersToLog: [...accessLogRequestHeaders],
    additionalResponseHeadersToLog: [...accessLogResponseHeaders],
  });
  return {
    name: 'envoy.access_loggers.http_grpc',
    typedConfig: packAny(grpcAccessLogType, HttpGrpcAccessLogConfig, als),
  };
}
