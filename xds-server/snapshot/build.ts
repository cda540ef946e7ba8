import { Cluster } from '../../schemas/gen/envoy/envoy/config/cluster/v3/cluster.ts';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { Listener } from '../../schemas/gen/envoy/envoy/config/listener/v3/listener.ts';
import { RouteConfiguration } from '../../schemas/gen/envoy/envoy/config/route/v3/route.ts';
import type { MeshConfig } from '../mesh-config/types.ts';
import { contentHash, type Encoder, encode } from '../resources/any.ts';
import { buildClusters } from '../resources/clusters.ts';
import { buildLoadAssignments } from '../resources/endpoints.ts';
import { buildListeners, routeConfigName } from '../resources/listeners.ts';
import { buildRouteConfigurations, routeClusterReferences } from '../resources/routes.ts';
import { emptyRouting, type RoutingState } from '../routing/types.ts';
import type { References, Resource, ResourceSet, Snapshot } from './types.ts';
import { TypeUrl } from './types.ts';

/**
 * The whole configuration one node group gets, as an immutable value: every resource built
 * from `config` with `routing` applied, encoded, versioned by content.
 *
 * Deterministic: the same inputs give byte-identical resources and equal versions, in any
 * process (resources are built in config order, nothing depends on time or randomness). A
 * resource's version is the hash of its bytes, so a routing change re-versions only what it
 * touches (an endpoint weight: that cluster's ClusterLoadAssignment and the endpoint set).
 *
 * Pure and total for a validated config: it never throws on one.
 *
 * `audience` (default `envoy`): Envoy gets the port listeners, gRPC xDS clients the API
 * listeners (Envoy accepts only one API listener and warns on every update that has more).
 * Both get every cluster, built from the whole mesh (a cluster's retry budget comes from every
 * route that sends to it), so a cluster is byte-identical for both audiences.
 */
export function buildSnapshot(
  mesh: MeshConfig,
  routing: RoutingState,
  audience: Audience = 'envoy',
): Snapshot {
  const config: MeshConfig = {
    ...mesh,
    listeners: mesh.listeners.filter((l) => (l.port === undefined) === (audience === 'grpc')),
  };
  return deepFreeze({
    sets: {
      [TypeUrl.listener]: resourceSet(TypeUrl.listener, Listener, buildListeners(config)),
      [TypeUrl.route]: resourceSet(
        TypeUrl.route,
        RouteConfiguration,
        buildRouteConfigurations(config, routing),
      ),
      [TypeUrl.cluster]: resourceSet(TypeUrl.cluster, Cluster, buildClusters(mesh)),
      [TypeUrl.endpoint]: resourceSet(
        TypeUrl.endpoint,
        ClusterLoadAssignment,
        buildLoadAssignments(mesh, routing),
        (assignment) => assignment.clusterName,
      ),
    },
    references: references(config),
  });
}

/** Who a snapshot is for: Envoy proxies, or gRPC applications resolving `xds:///` targets. */
export type Audience = 'envoy' | 'grpc';

/** A snapshot with no resources at all; its set versions are stable (the hash of nothing). */
export function emptySnapshot(): Snapshot {
  return buildSnapshot({ listeners: [], clusters: [] }, emptyRouting);
}

function resourceSet<T>(
  typeUrl: TypeUrl,
  codec: Encoder<T>,
  messages: readonly T[],
  nameOf: (message: T) => string = (message) => (message as { name: string }).name,
): ResourceSet {
  const resources = new Map<string, Resource>();
  for (const message of messages) {
    const name = nameOf(message);
    const bytes = encode(codec, message);
    resources.set(name, { name, typeUrl, bytes, version: contentHash(bytes) });
  }
  return { version: setVersion(resources), resources };
}

/**
 * The state-of-the-world version of a set: a hash over its sorted `name:version` lines, so it
 * changes exactly when a resource is added, removed or changed, whatever the map's order.
 */
export function setVersion(resources: ReadonlyMap<string, Resource>): string {
  const lines = [...resources.values()]
    .map(({ name, version }) => `${name}:${version}`)
    .sort()
    .join('\n');
  return contentHash(lines);
}

function references(config: MeshConfig): References {
  return {
    listenerRoutes: new Map(
      config.listeners.map((listener) => [listener.name, new Set([routeConfigName(listener)])]),
    ),
    routeClusters: routeClusterReferences(config),
    // Only the configured clusters: the access-log cluster is static, it has no EDS resource.
    edsClusters: new Set(config.clusters.map((cluster) => cluster.name)),
  };
}

const refuseChange = (): never => {
  throw new TypeError('snapshots are immutable');
};

/**
 * Freezes `value` and everything reachable from it. Maps and sets cannot be frozen by
 * Object.freeze (their contents live in internal slots), so their mutators are replaced by
 * ones that throw. Byte arrays are left as they are: typed arrays with elements cannot be
 * frozen at all, and callers only ever hand them to the wire.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  if (value instanceof Map) {
    for (const [key, entry] of value) {
      deepFreeze(key);
      deepFreeze(entry);
    }
    for (const method of ['set', 'delete', 'clear']) {
      Object.defineProperty(value, method, { value: refuseChange });
    }
  } else if (value instanceof Set) {
    for (const entry of value) deepFreeze(entry);
    for (const method of ['add', 'delete', 'clear']) {
      Object.defineProperty(value, method, { value: refuseChange });
    }
  } else {
    for (const entry of Object.values(value)) deepFreeze(entry);
  }
  return Object.freeze(value);
}
