import { isIP } from 'node:net';
import {
  type CircuitBreakers_Thresholds,
  CircuitBreakers_Thresholds_RetryBudget,
} from '../../schemas/gen/envoy/envoy/config/cluster/v3/circuit_breaker.ts';
import {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
} from '../../schemas/gen/envoy/envoy/config/cluster/v3/cluster.ts';
import { ApiVersion } from '../../schemas/gen/envoy/envoy/config/core/v3/config_source.ts';
import { HttpProtocolOptions } from '../../schemas/gen/envoy/envoy/extensions/upstreams/http/v3/http_protocol_options.ts';
import type { Any } from '../../schemas/gen/envoy/google/protobuf/any.ts';
import type { AccessLogConfig, ClusterConfig, LbPolicy, MeshConfig } from '../mesh-config/types.ts';
import { durationMs, packAny } from './any.ts';

/** The static cluster every listener's gRPC access log streams to (the collector). */
export const accessLogClusterName = 'meshgraph_access_log';

const httpOptionsKey = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const lbPolicies: Record<LbPolicy, Cluster_LbPolicy> = {
  round_robin: Cluster_LbPolicy.ROUND_ROBIN,
  least_request: Cluster_LbPolicy.LEAST_REQUEST,
  random: Cluster_LbPolicy.RANDOM,
  // Ring hash and Maglev only stick when routes set a hash_policy; without one Envoy hashes
  // nothing and they behave like random.
  ring_hash: Cluster_LbPolicy.RING_HASH,
  maglev: Cluster_LbPolicy.MAGLEV,
};

/**
 * One Cluster per configured cluster (EDS over ADS, in config order), then — only when an
 * access log is configured — the static `meshgraph_access_log` cluster to the collector.
 */
export function buildClusters(config: MeshConfig): Cluster[] {
  const budgets = retryBudgets(config);
  const clusters = config.clusters.map((cluster) => edsCluster(cluster, budgets.get(cluster.name)));
  if (config.accessLog) clusters.push(accessLogCluster(config.accessLog));
  return clusters;
}

function edsCluster(cluster: ClusterConfig, budget?: RetryBudget): Cluster {
  const breakers = cluster.circuitBreakers;
  const outlier = cluster.outlierDetection;
  // One default-priority threshold, present when anything sets it; unset limits keep Envoy's
  // defaults (1024 connections / pending / requests, 3 retries).
  const threshold: Partial<CircuitBreakers_Thresholds> | undefined =
    breakers || budget ? { ...breakers, ...(budget && { retryBudget: budget }) } : undefined;
  return Cluster.fromPartial({
    name: cluster.name,
    type: Cluster_DiscoveryType.EDS,
    edsClusterConfig: {
      edsConfig: { ads: {}, resourceApiVersion: ApiVersion.V3 },
      serviceName: cluster.name,
    },
    connectTimeout: durationMs(cluster.connectTimeoutMs),
    lbPolicy: lbPolicies[cluster.lbPolicy],
    ...(outlier && {
      outlierDetection: {
        consecutive5xx: outlier.consecutive5xx,
        interval: durationMs(outlier.intervalMs),
        baseEjectionTime: durationMs(outlier.baseEjectionTimeMs),
        maxEjectionPercent: outlier.maxEjectionPercent,
      },
    }),
    ...(threshold && { circuitBreakers: { thresholds: [threshold] } }),
    typedExtensionProtocolOptions: cluster.http2 ? http2Options() : {},
  });
}

/**
 * The collector's cluster: static (it must work before, and independently of, anything xDS
 * delivers), HTTP/2 because ALS is gRPC. A host name instead of an IP literal (e.g. a
 * docker-compose service) makes it STRICT_DNS, since STATIC clusters only accept IPs.
 */
function accessLogCluster(accessLog: AccessLogConfig): Cluster {
  return Cluster.fromPartial({
    name: accessLogClusterName,
    type: isIP(accessLog.host) ? Cluster_DiscoveryType.STATIC : Cluster_DiscoveryType.STRICT_DNS,
    connectTimeout: durationMs(1000),
    typedExtensionProtocolOptions: http2Options(),
    loadAssignment: {
      clusterName: accessLogClusterName,
      endpoints: [
        {
          lbEndpoints: [
            {
              endpoint: {
                address: { socketAddress: { address: accessLog.host, portValue: accessLog.port } },
              },
            },
          ],
        },
      ],
    },
  });
}

function http2Options(): Record<string, Any> {
  const options = HttpProtocolOptions.fromPartial({
    explicitHttpConfig: { http2ProtocolOptions: {} },
  });
  return { [httpOptionsKey]: packAny(httpOptionsKey, HttpProtocolOptions, options) };
}

type RetryBudget = CircuitBreakers_Thresholds_RetryBudget;

/**
 * Retry budgets are set on routes but enforced by Envoy per cluster (circuit breaker
 * threshold `retry_budget`). A cluster reached by several routes with retries gets the
 * strictest: the lowest `budget_percent` and, separately, the lowest `min_retry_concurrency`.
 * Once a budget is set Envoy ignores the threshold's `max_retries`.
 */
export function retryBudgets(config: MeshConfig): Map<string, RetryBudget> {
  const budgets = new Map<string, { percent: number; minConcurrency: number }>();
  for (const listener of config.listeners) {
    for (const route of listener.routes) {
      const retries = route.retries;
      if (!retries) continue;
      const { destination } = route;
      const clusters =
        destination.kind === 'cluster'
          ? [destination.cluster]
          : destination.clusters.map(({ cluster }) => cluster);
      for (const cluster of clusters) {
        const seen = budgets.get(cluster);
        budgets.set(cluster, {
          percent: Math.min(seen?.percent ?? Infinity, retries.budgetPercent),
          minConcurrency: Math.min(seen?.minConcurrency ?? Infinity, retries.minRetryConcurrency),
        });
      }
    }
  }
  const result = new Map<string, RetryBudget>();
  for (const [cluster, { percent, minConcurrency }] of budgets) {
    result.set(
      cluster,
      CircuitBreakers_Thresholds_RetryBudget.fromPartial({
        budgetPercent: { value: percent },
        minRetryConcurrency: minConcurrency,
      }),
    );
  }
  return result;
}
