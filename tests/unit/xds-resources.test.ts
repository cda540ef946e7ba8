import { describe, expect, it } from 'vitest';
import {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
} from '../../schemas/gen/envoy/envoy/config/cluster/v3/cluster.ts';
import { ApiVersion } from '../../schemas/gen/envoy/envoy/config/core/v3/config_source.ts';
import { HealthStatus } from '../../schemas/gen/envoy/envoy/config/core/v3/health_check.ts';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { Listener } from '../../schemas/gen/envoy/envoy/config/listener/v3/listener.ts';
import { RouteConfiguration } from '../../schemas/gen/envoy/envoy/config/route/v3/route.ts';
import { HttpGrpcAccessLogConfig } from '../../schemas/gen/envoy/envoy/extensions/access_loggers/grpc/v3/als.ts';
import { HttpConnectionManager } from '../../schemas/gen/envoy/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.ts';
import { HttpProtocolOptions } from '../../schemas/gen/envoy/envoy/extensions/upstreams/http/v3/http_protocol_options.ts';
import { emptyRouting } from '../../xds-server/routing/types.ts';
import { buildSnapshot } from '../../xds-server/snapshot/build.ts';
import { TypeUrl } from '../../xds-server/snapshot/types.ts';

import { config, resource, routing, unpack } from '../support/xds-fixture.ts';

const hcmType = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const snapshot = buildSnapshot(config, emptyRouting);
/** What gRPC xDS clients get: the API listeners (and every cluster). */
const grpcSnapshot = buildSnapshot(config, emptyRouting, 'grpc');
const listener = (name: string, s = snapshot) =>
  Listener.decode(resource(s, TypeUrl.listener, name).bytes);
const routes = (name: string, s = snapshot) =>
  RouteConfiguration.decode(resource(s, TypeUrl.route, name).bytes);
const cluster = (name: string, s = snapshot) =>
  Cluster.decode(resource(s, TypeUrl.cluster, name).bytes);
const assignment = (name: string, s = snapshot) =>
  ClusterLoadAssignment.decode(resource(s, TypeUrl.endpoint, name).bytes);

describe('listeners', () => {
  it('a port listener: address, RDS over ADS named after it, router, gRPC access log', () => {
    const decoded = listener('ingress');
    expect(decoded.address?.socketAddress).toMatchObject({
      address: '127.0.0.1',
      portValue: 10000,
    });
    const filter = decoded.filterChains[0]?.filters[0];
    expect(filter?.name).toBe('envoy.filters.network.http_connection_manager');
    const hcm = unpack(filter?.typedConfig, hcmType, HttpConnectionManager);
    expect(hcm.statPrefix).toBe('ingress');
    expect(hcm.rds?.routeConfigName).toBe('ingress');
    expect(hcm.rds?.configSource?.ads).toEqual({});
    expect(hcm.rds?.configSource?.resourceApiVersion).toBe(ApiVersion.V3);
    expect(hcm.httpFilters.map((f) => [f.name, f.typedConfig?.typeUrl])).toEqual([
      [
        'envoy.filters.http.router',
        'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
      ],
    ]);
    expect(hcm.accessLog.map((log) => log.name)).toEqual(['envoy.access_loggers.http_grpc']);
    const als = unpack(
      hcm.accessLog[0]?.typedConfig,
      'envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
      HttpGrpcAccessLogConfig,
    );
    expect(als.commonConfig?.logName).toBe('meshgraph');
    expect(als.commonConfig?.transportApiVersion).toBe(ApiVersion.V3);
    expect(als.commonConfig?.grpcService?.envoyGrpc?.clusterName).toBe('meshgraph_access_log');
    expect(als.additionalRequestHeadersToLog).toEqual([
      'x-meshgraph-source',
      'x-meshgraph-source-instance',
    ]);
    expect(als.additionalResponseHeadersToLog).toEqual([
      'x-meshgraph-model',
      'x-meshgraph-prompt-tokens',
      'x-meshgraph-completion-tokens',
    ]);
  });

  it('no access log without accessLog in the config', () => {
    const decoded = listener(
      'ingress',
      buildSnapshot({ ...config, accessLog: undefined }, emptyRouting),
    );
    const hcm = HttpConnectionManager.decode(
      decoded.filterChains[0]?.filters[0]?.typedConfig?.value ?? new Uint8Array(),
    );
    expect(hcm.accessLog).toEqual([]);
  });

  it('an API listener (no port) for gRPC xDS clients: HCM with RDS and router, no address', () => {
    expect(snapshot.sets[TypeUrl.listener].resources.has('grpc-api')).toBe(false);
    expect([...grpcSnapshot.sets[TypeUrl.listener].resources.keys()]).toEqual(['grpc-api']);
    expect([...grpcSnapshot.sets[TypeUrl.cluster].resources.keys()]).toEqual([
      ...snapshot.sets[TypeUrl.cluster].resources.keys(),
    ]);
    const decoded = listener('grpc-api', grpcSnapshot);
    expect(decoded.address).toBeUndefined();
    expect(decoded.filterChains).toEqual([]);
    const hcm = unpack(decoded.apiListener?.apiListener, hcmType, HttpConnectionManager);
    expect(hcm.rds?.routeConfigName).toBe('grpc-api');
    expect(hcm.rds?.configSource?.ads).toEqual({});
    expect(hcm.httpFilters.map((f) => f.name)).toEqual(['envoy.filters.http.router']);
    expect(hcm.accessLog).toEqual([]);
  });
});

describe('routes', () => {
  it('one virtual host, routes in config order with match, action, timeout and retries', () => {
    const decoded = routes('ingress');
    expect(decoded.name).toBe('ingress');
    expect(decoded.virtualHosts).toHaveLength(1);
    const host = decoded.virtualHosts[0];
    expect(host?.domains).toEqual(['*']);
    expect(host?.routes.map((r) => r.name)).toEqual(['chat', 'web']);
    const [chat, web] = host?.routes ?? [];
    expect(chat?.match?.prefix).toBe('/v1/chat');
    expect(chat?.match?.headers.map((h) => [h.name, h.stringMatch?.exact])).toEqual([
      ['x-tenant', 'gold'],
    ]);
    expect(chat?.route?.cluster).toBeUndefined();
    expect(chat?.route?.weightedClusters?.clusters.map((c) => [c.name, c.weight])).toEqual([
      ['llm-a', 80],
      ['llm-b', 20],
    ]);
    expect(chat?.route?.timeout).toEqual({ seconds: 30, nanos: 0 });
    expect(chat?.route?.retryPolicy).toMatchObject({
      retryOn: '5xx,reset',
      numRetries: 2,
      perTryTimeout: { seconds: 2, nanos: 500_000_000 },
    });
    expect(web?.route?.cluster).toBe('web');
    expect(web?.route?.weightedClusters).toBeUndefined();
    expect(web?.route?.retryPolicy?.retryOn).toBe('connect-failure');
    expect(web?.route?.retryPolicy?.perTryTimeout).toBeUndefined();
    expect(routes('grpc-api', grpcSnapshot).virtualHosts[0]?.routes[0]?.route?.timeout).toEqual({
      seconds: 1,
      nanos: 500_000_000,
    });
  });

  it('split weights come from the routing state where it names a cluster', () => {
    const state = routing({ routeSplits: { chat: { 'llm-b': 60 } } });
    const chat = routes('ingress', buildSnapshot(config, state)).virtualHosts[0]?.routes[0];
    expect(chat?.route?.weightedClusters?.clusters.map((c) => [c.name, c.weight])).toEqual([
      ['llm-a', 80],
      ['llm-b', 60],
    ]);
  });
});

describe('clusters', () => {
  it('EDS over ADS with connect timeout, lb policy, outlier detection, circuit breakers', () => {
    const web = cluster('web');
    expect(web.type).toBe(Cluster_DiscoveryType.EDS);
    expect(web.edsClusterConfig?.serviceName).toBe('web');
    expect(web.edsClusterConfig?.edsConfig?.ads).toEqual({});
    expect(web.edsClusterConfig?.edsConfig?.resourceApiVersion).toBe(ApiVersion.V3);
    expect(web.connectTimeout).toEqual({ seconds: 0, nanos: 250_000_000 });
    expect(web.lbPolicy).toBe(Cluster_LbPolicy.LEAST_REQUEST);
    expect(web.loadAssignment).toBeUndefined();
    expect(web.outlierDetection).toMatchObject({
      consecutive5xx: 5,
      interval: { seconds: 10, nanos: 0 },
      baseEjectionTime: { seconds: 30, nanos: 0 },
      maxEjectionPercent: 50,
    });
    expect(web.circuitBreakers?.thresholds).toHaveLength(1);
    expect(web.circuitBreakers?.thresholds[0]).toMatchObject({
      maxConnections: 100,
      maxPendingRequests: 50,
      maxRequests: 200,
      maxRetries: undefined,
      retryBudget: { budgetPercent: { value: 10 }, minRetryConcurrency: 7 },
    });
    expect(web.typedExtensionProtocolOptions).toEqual({});
    expect(cluster('llm-b').lbPolicy).toBe(Cluster_LbPolicy.MAGLEV);
  });

  it('a cluster several routes retry to gets the strictest retry budget, field by field', () => {
    // llm-a: chat (25%, 5) and grpc (20%, 9) → 20%, 5. llm-b: chat alone.
    expect(cluster('llm-a').circuitBreakers?.thresholds[0]?.retryBudget).toEqual({
      budgetPercent: { value: 20 },
      minRetryConcurrency: 5,
    });
    expect(cluster('llm-b').circuitBreakers?.thresholds[0]?.retryBudget).toEqual({
      budgetPercent: { value: 25 },
      minRetryConcurrency: 5,
    });
    const noRetries = buildSnapshot(
      {
        ...config,
        listeners: config.listeners.map((l) => ({
          ...l,
          routes: l.routes.map((r) => ({ ...r, retries: undefined })),
        })),
      },
      emptyRouting,
    );
    expect(cluster('llm-a', noRetries).circuitBreakers).toBeUndefined();
    expect(cluster('web', noRetries).circuitBreakers?.thresholds[0]?.retryBudget).toBeUndefined();
  });

  it('http2 clusters carry explicit HTTP/2 upstream protocol options', () => {
    const key = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    const options = unpack(
      cluster('llm-a').typedExtensionProtocolOptions[key],
      key,
      HttpProtocolOptions,
    );
    expect(options.explicitHttpConfig?.http2ProtocolOptions).toBeDefined();
    expect(options.explicitHttpConfig?.httpProtocolOptions).toBeUndefined();
  });

  it('the access-log cluster is static HTTP/2 to the collector, without EDS', () => {
    const als = cluster('meshgraph_access_log');
    expect(als.type).toBe(Cluster_DiscoveryType.STATIC);
    expect(als.edsClusterConfig).toBeUndefined();
    expect(
      als.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.endpoint?.address?.socketAddress,
    ).toMatchObject({
      address: '127.0.0.1',
      portValue: 9411,
    });
    expect(Object.keys(als.typedExtensionProtocolOptions)).toEqual([
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    ]);
    const named = buildSnapshot(
      { ...config, accessLog: { host: 'collector', port: 9411, logName: 'x' } },
      emptyRouting,
    );
    expect(cluster('meshgraph_access_log', named).type).toBe(Cluster_DiscoveryType.STRICT_DNS);
    const none = buildSnapshot({ ...config, accessLog: undefined }, emptyRouting);
    expect([...none.sets[TypeUrl.cluster].resources.keys()]).toEqual(['web', 'llm-a', 'llm-b']);
  });
});

describe('endpoints', () => {
  const weights = (decoded: ClusterLoadAssignment) =>
    decoded.endpoints[0]?.lbEndpoints.map((lb) => [
      `${lb.endpoint?.address?.socketAddress?.address}:${lb.endpoint?.address?.socketAddress?.portValue}`,
      lb.loadBalancingWeight,
      lb.healthStatus,
    ]);

  it('configured weights in one locality, per EDS cluster', () => {
    expect([...snapshot.sets[TypeUrl.endpoint].resources.keys()]).toEqual([
      'web',
      'llm-a',
      'llm-b',
    ]);
    const web = assignment('web');
    expect(web.clusterName).toBe('web');
    expect(web.endpoints).toHaveLength(1);
    // gRPC xDS clients reject a missing locality and skip a locality without weight.
    expect(web.endpoints[0]?.locality).toBeDefined();
    expect(web.endpoints[0]?.loadBalancingWeight).toBe(1);
    expect(weights(web)).toEqual([
      ['127.0.0.1:8081', 1, HealthStatus.UNKNOWN],
      ['127.0.0.1:8082', 3, HealthStatus.UNKNOWN],
    ]);
  });

  it('routing state weights win; weight 0 keeps the endpoint, UNHEALTHY with weight 1', () => {
    const ejected = buildSnapshot(
      config,
      routing({ endpointWeights: { web: { '127.0.0.1:8082': 0 } } }),
    );
    expect(weights(assignment('web', ejected))).toEqual([
      ['127.0.0.1:8081', 1, HealthStatus.UNKNOWN],
      ['127.0.0.1:8082', 1, HealthStatus.UNHEALTHY],
    ]);
    const moved = buildSnapshot(
      config,
      routing({ endpointWeights: { web: { '127.0.0.1:8081': 50 } } }),
    );
    expect(weights(assignment('web', moved))).toEqual([
      ['127.0.0.1:8081', 50, HealthStatus.UNKNOWN],
      ['127.0.0.1:8082', 3, HealthStatus.UNKNOWN],
    ]);
  });
});
