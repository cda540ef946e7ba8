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
import type { Any } from '../../schemas/gen/envoy/google/protobuf/any.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';
import { contentHash, durationMs } from '../../xds-server/resources/any.ts';
import { emptyRouting, type RoutingState } from '../../xds-server/routing/types.ts';
import { buildSnapshot, emptySnapshot } from '../../xds-server/snapshot/build.ts';
import { type Snapshot, TypeUrl } from '../../xds-server/snapshot/types.ts';

const retries = { on: '5xx,reset', attempts: 2, budgetPercent: 20, minRetryConcurrency: 3 };

const config: MeshConfig = {
  listeners: [
    {
      name: 'ingress',
      port: 10000,
      address: '127.0.0.1',
      routes: [
        {
          name: 'chat',
          match: { prefix: '/v1/chat', headers: [{ name: 'x-tenant', exact: 'gold' }] },
          destination: {
            kind: 'split',
            clusters: [
              { cluster: 'llm-a', weight: 80 },
              { cluster: 'llm-b', weight: 20 },
            ],
          },
          timeoutMs: 30_000,
          retries: { ...retries, perTryTimeoutMs: 2500, budgetPercent: 25, minRetryConcurrency: 5 },
        },
        {
          name: 'web',
          match: { prefix: '/', headers: [] },
          destination: { kind: 'cluster', cluster: 'web' },
          timeoutMs: 15_000,
          retries: { ...retries, on: 'connect-failure', budgetPercent: 10, minRetryConcurrency: 7 },
        },
      ],
    },
    {
      name: 'grpc-api',
      address: '127.0.0.1',
      routes: [
        {
          name: 'grpc',
          match: { prefix: '/', headers: [] },
          destination: { kind: 'cluster', cluster: 'llm-a' },
          timeoutMs: 1500,
          retries: { ...retries, on: 'unavailable', minRetryConcurrency: 9 },
        },
      ],
    },
  ],
  clusters: [
    {
      name: 'web',
      endpoints: [
        { host: '127.0.0.1', port: 8081, weight: 1 },
        { host: '127.0.0.1', port: 8082, weight: 3 },
      ],
      lbPolicy: 'least_request',
      connectTimeoutMs: 250,
      policy: 'adaptive',
      http2: false,
      outlierDetection: {
        consecutive5xx: 5,
        intervalMs: 10_000,
        baseEjectionTimeMs: 30_000,
        maxEjectionPercent: 50,
      },
      circuitBreakers: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200 },
    },
    {
      name: 'llm-a',
      endpoints: [{ host: '10.0.0.1', port: 9000, weight: 2 }],
      lbPolicy: 'round_robin',
      connectTimeoutMs: 1000,
      policy: 'adaptive',
      http2: true,
    },
    {
      name: 'llm-b',
      endpoints: [{ host: '10.0.0.2', port: 9000, weight: 1 }],
      lbPolicy: 'maglev',
      connectTimeoutMs: 1000,
      policy: 'static',
      http2: false,
    },
  ],
  accessLog: { host: '127.0.0.1', port: 9411, logName: 'meshgraph' },
};

function routing(
  parts: Partial<Record<keyof RoutingState, Record<string, Record<string, number>>>>,
) {
  const toMaps = (record: Record<string, Record<string, number>> = {}) =>
    new Map(Object.entries(record).map(([key, inner]) => [key, new Map(Object.entries(inner))]));
  return { endpointWeights: toMaps(parts.endpointWeights), routeSplits: toMaps(parts.routeSplits) };
}

function resource(snapshot: Snapshot, typeUrl: TypeUrl, name: string) {
  const found = snapshot.sets[typeUrl].resources.get(name);
  if (!found) throw new Error(`no ${typeUrl} named ${name}`);
  return found;
}

function unpack<T>(
  any: Any | undefined,
  typeName: string,
  codec: { decode(bytes: Uint8Array): T },
): T {
  expect(any?.typeUrl).toBe(`type.googleapis.com/${typeName}`);
  return codec.decode(any?.value ?? new Uint8Array());
}

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
    expect(als.additionalRequestHeadersToLog).toContain('x-meshgraph-source');
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

describe('snapshot', () => {
  const versions = (s: Snapshot) =>
    Object.fromEntries(
      Object.entries(s.sets).map(([type, set]) => [
        type,
        {
          set: set.version,
          each: Object.fromEntries([...set.resources].map(([n, r]) => [n, r.version])),
        },
      ]),
    );

  it('is deterministic: two builds give the same bytes and versions', () => {
    const again = buildSnapshot(structuredClone(config) as MeshConfig, routing({}));
    expect(versions(again)).toEqual(versions(snapshot));
    for (const type of Object.values(TypeUrl)) {
      for (const [name, r] of snapshot.sets[type].resources) {
        expect(Buffer.from(resource(again, type, name).bytes).equals(Buffer.from(r.bytes))).toBe(
          true,
        );
        expect(r.version).toBe(contentHash(r.bytes));
        expect(r.version).toMatch(/^[0-9a-f]{16}$/);
        expect(r.typeUrl).toBe(type);
      }
    }
  });

  it('a weight change re-versions only that endpoint resource and the endpoint set', () => {
    const before = versions(snapshot);
    const after = versions(
      buildSnapshot(config, routing({ endpointWeights: { web: { '127.0.0.1:8081': 7 } } })),
    );
    for (const type of [TypeUrl.listener, TypeUrl.route, TypeUrl.cluster])
      expect(after[type]).toEqual(before[type]);
    expect(after[TypeUrl.endpoint]?.set).not.toBe(before[TypeUrl.endpoint]?.set);
    expect(after[TypeUrl.endpoint]?.each.web).not.toBe(before[TypeUrl.endpoint]?.each.web);
    expect({ ...after[TypeUrl.endpoint]?.each, web: '' }).toEqual({
      ...before[TypeUrl.endpoint]?.each,
      web: '',
    });
  });

  it('a split change re-versions only that route configuration and the route set', () => {
    const before = versions(snapshot);
    const after = versions(
      buildSnapshot(config, routing({ routeSplits: { chat: { 'llm-a': 1 } } })),
    );
    for (const type of [TypeUrl.listener, TypeUrl.cluster, TypeUrl.endpoint])
      expect(after[type]).toEqual(before[type]);
    expect(after[TypeUrl.route]?.each.ingress).not.toBe(before[TypeUrl.route]?.each.ingress);
    expect(after[TypeUrl.route]?.each['grpc-api']).toBe(before[TypeUrl.route]?.each['grpc-api']);
  });

  it('records who references whom', () => {
    const { references } = snapshot;
    expect(references.listenerRoutes).toEqual(new Map([['ingress', new Set(['ingress'])]]));
    expect(references.routeClusters).toEqual(
      new Map([['ingress', new Set(['llm-a', 'llm-b', 'web'])]]),
    );
    expect(grpcSnapshot.references.listenerRoutes).toEqual(
      new Map([['grpc-api', new Set(['grpc-api'])]]),
    );
    expect(grpcSnapshot.references.routeClusters).toEqual(
      new Map([['grpc-api', new Set(['llm-a'])]]),
    );
    expect(references.edsClusters).toEqual(new Set(['web', 'llm-a', 'llm-b']));
  });

  it('is deeply frozen, maps and sets included', () => {
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot.sets)).toBe(true);
    const set = snapshot.sets[TypeUrl.cluster];
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(resource(snapshot, TypeUrl.cluster, 'web'))).toBe(true);
    const resources = set.resources as Map<string, unknown>;
    expect(() => resources.set('x', {})).toThrow(TypeError);
    expect(() => resources.delete('web')).toThrow(TypeError);
    expect(() => (snapshot.references.edsClusters as Set<string>).add('x')).toThrow(TypeError);
    expect(() => (snapshot.references.routeClusters.get('ingress') as Set<string>).clear()).toThrow(
      TypeError,
    );
    expect(set.resources.size).toBe(4);
  });

  it('an empty snapshot has every type, no resources, stable versions', () => {
    const empty = emptySnapshot();
    for (const type of Object.values(TypeUrl)) expect(empty.sets[type].resources.size).toBe(0);
    expect(emptySnapshot().sets[TypeUrl.listener].version).toBe(
      empty.sets[TypeUrl.listener].version,
    );
  });
});

describe('helpers', () => {
  it('durationMs splits milliseconds into seconds and nanos', () => {
    expect(durationMs(0)).toEqual({ seconds: 0, nanos: 0 });
    expect(durationMs(1)).toEqual({ seconds: 0, nanos: 1_000_000 });
    expect(durationMs(61_250)).toEqual({ seconds: 61, nanos: 250_000_000 });
    expect(durationMs(999.9999999)).toEqual({ seconds: 1, nanos: 0 });
  });

  it('contentHash is the first 16 hex chars of SHA-256', () => {
    expect(contentHash('')).toBe('e3b0c44298fc1c14');
    expect(contentHash(new Uint8Array())).toBe('e3b0c44298fc1c14');
  });
});
