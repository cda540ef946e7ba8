/**
 * What the ADS server sends: resources already encoded as `google.protobuf.Any`, each with a
 * content hash as its version. Values built once (resources/, snapshot/snapshot.ts) and frozen.
 */

export const TypeUrl = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type TypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** The order a change must reach Envoy in (ADS: clusters, then endpoints, listeners, routes). */
export const pushOrder: readonly TypeUrl[] = [
  TypeUrl.cluster,
  TypeUrl.endpoint,
  TypeUrl.listener,
  TypeUrl.route,
];

export interface Resource {
  readonly name: string;
  readonly typeUrl: TypeUrl;
  /** The serialized message (the `value` of an Any whose `type_url` is `typeUrl`). */
  readonly bytes: Uint8Array;
  /** Hex content hash of `bytes`: the resource's version in delta xDS. */
  readonly version: string;
}

export interface ResourceSet {
  /** Content hash over every (name, version) in the set: the version in state-of-the-world xDS. */
  readonly version: string;
  readonly resources: ReadonlyMap<string, Resource>;
}

/** Who needs whom: what the consistency check verifies and make-before-break follows. */
export interface References {
  /** Listener name → RouteConfiguration names it fetches over RDS. */
  readonly listenerRoutes: ReadonlyMap<string, ReadonlySet<string>>;
  /** RouteConfiguration name → cluster names its routes send traffic to. */
  readonly routeClusters: ReadonlyMap<string, ReadonlySet<string>>;
  /** Clusters whose endpoints come over EDS (each needs a ClusterLoadAssignment). */
  readonly edsClusters: ReadonlySet<string>;
}

export interface Snapshot {
  readonly sets: Readonly<Record<TypeUrl, ResourceSet>>;
  readonly references: References;
}
