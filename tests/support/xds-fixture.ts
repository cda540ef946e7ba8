import { expect } from 'vitest';
import type { Any } from '../../schemas/gen/envoy/google/protobuf/any.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';
import type { RoutingState } from '../../xds-server/routing/types.ts';
import type { Snapshot, TypeUrl } from '../../xds-server/snapshot/types.ts';

/** A mesh config exercising every resource builder, shared by the resource and snapshot tests. */
const retries = { on: '5xx,reset', attempts: 2, budgetPercent: 20, minRetryConcurrency: 3 };

export const config: MeshConfig = {
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

export function routing(
  parts: Partial<Record<keyof RoutingState, Record<string, Record<string, number>>>>,
) {
  const toMaps = (record: Record<string, Record<string, number>> = {}) =>
    new Map(Object.entries(record).map(([key, inner]) => [key, new Map(Object.entries(inner))]));
  return { endpointWeights: toMaps(parts.endpointWeights), routeSplits: toMaps(parts.routeSplits) };
}

export function resource(snapshot: Snapshot, typeUrl: TypeUrl, name: string) {
  const found = snapshot.sets[typeUrl].resources.get(name);
  if (!found) throw new Error(`no ${typeUrl} named ${name}`);
  return found;
}

export function unpack<T>(
  any: Any | undefined,
  typeName: string,
  codec: { decode(bytes: Uint8Array): T },
): T {
  expect(any?.typeUrl).toBe(`type.googleapis.com/${typeName}`);
  return codec.decode(any?.value ?? new Uint8Array());
}
