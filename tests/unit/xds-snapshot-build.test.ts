import { describe, expect, it } from 'vitest';
import { Cluster } from '../../schemas/gen/envoy/envoy/config/cluster/v3/cluster.ts';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { Listener } from '../../schemas/gen/envoy/envoy/config/listener/v3/listener.ts';
import { RouteConfiguration } from '../../schemas/gen/envoy/envoy/config/route/v3/route.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';
import { contentHash, durationMs } from '../../xds-server/resources/any.ts';
import { emptyRouting } from '../../xds-server/routing/types.ts';
import { buildSnapshot, emptySnapshot } from '../../xds-server/snapshot/build.ts';
import { type Snapshot, TypeUrl } from '../../xds-server/snapshot/types.ts';

import { config, resource, routing } from '../support/xds-fixture.ts';

const _hcmType =
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const snapshot = buildSnapshot(config, emptyRouting);
/** What gRPC xDS clients get: the API listeners (and every cluster). */
const grpcSnapshot = buildSnapshot(config, emptyRouting, 'grpc');
const _listener = (name: string, s = snapshot) =>
  Listener.decode(resource(s, TypeUrl.listener, name).bytes);
const _routes = (name: string, s = snapshot) =>
  RouteConfiguration.decode(resource(s, TypeUrl.route, name).bytes);
const _cluster = (name: string, s = snapshot) =>
  Cluster.decode(resource(s, TypeUrl.cluster, name).bytes);
const _assignment = (name: string, s = snapshot) =>
  ClusterLoadAssignment.decode(resource(s, TypeUrl.endpoint, name).bytes);

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
