/**
 * Make-before-break, shared by both ADS variants. Envoy applies each type as it arrives, so a
 * route that reaches it before its cluster (or before that cluster's endpoints) answers 503, and a
 * cluster removed before the route that used it has switched away drops traffic. Hence:
 * - a Cluster removed from the snapshot stays served while routes the node has ACKed still send
 *   traffic to it (the CDS view is the snapshot's clusters plus those), and goes once the route
 *   switch is ACKed;
 * - a RouteConfiguration, or a Listener whose routes do, that sends traffic to a cluster the stream
 *   has not ACKed in CDS (or, for an EDS cluster, whose endpoints it has not ACKed) is held back,
 *   for clients that subscribe to every cluster (Envoy); see the streams' `holds`.
 */

import { createHash } from 'node:crypto';
import { type Resource, type Snapshot, TypeUrl } from '../snapshot/types.ts';
import type { NodeHistory } from './node-history.ts';

/** The resources one type should have on the node now, with their SotW version. */
export interface View {
  readonly version: string;
  readonly resources: ReadonlyMap<string, Resource>;
}

/** Whether the stream's client holds a resource of `type` named `name` (any version). */
export type Holds = (type: TypeUrl, name: string) => boolean;

// References by resource identity rather than by name: a held-back or last-good route may come
// from an older snapshot, and its clusters are those of its own content, not of today's snapshot.
const clustersOfRoute = new WeakMap<Resource, ReadonlySet<string>>();
const routesOfListener = new WeakMap<Resource, ReadonlySet<string>>();
const indexed = new WeakSet<Snapshot>();
const none: ReadonlySet<string> = new Set();

/** Records who references whom in `snapshot`; call before any other function here sees it. */
export function indexReferences(snapshot: Snapshot): void {
  if (indexed.has(snapshot)) return;
  indexed.add(snapshot);
  const { sets, references } = snapshot;
  for (const [name, route] of sets[TypeUrl.route].resources) {
    clustersOfRoute.set(route, references.routeClusters.get(name) ?? none);
  }
  for (const [name, listener] of sets[TypeUrl.listener].resources) {
    routesOfListener.set(listener, references.listenerRoutes.get(name) ?? none);
  }
}

/** Clusters gone from `snapshot` that routes the node has ACKed still send traffic to. */
export function retainedClusters(snapshot: Snapshot, history: NodeHistory): Set<string> {
  const current = snapshot.sets[TypeUrl.cluster].resources;
  const retained = new Set<string>();
  for (const route of history.lastGood(TypeUrl.route)?.resources.values() ?? []) {
    for (const cluster of clustersOfRoute.get(route) ?? none) {
      if (!current.has(cluster)) retained.add(cluster);
    }
  }
  return retained;
}

/**
 * What `type` should look like on the node: the snapshot's set, plus (for CDS and EDS) the
 * retained clusters and their endpoints as the node last ACKed them. A view with retained
 * resources gets a version derived from the snapshot's and theirs, still a pure content hash, so
 * another replica in the same state computes the same one.
 */
export function desiredView(type: TypeUrl, snapshot: Snapshot, history: NodeHistory): View {
  const set = snapshot.sets[type];
  if (type !== TypeUrl.cluster && type !== TypeUrl.endpoint) return set;
  const good = history.lastGood(type)?.resources;
  const kept: Resource[] = [];
  for (const name of retainedClusters(snapshot, history)) {
    const resource = good?.get(name);
    if (resource && !set.resources.has(name)) kept.push(resource);
  }
  if (kept.length === 0) return set;
  const resources = new Map(set.resources);
  for (const resource of kept) resources.set(resource.name, resource);
  const hash = createHash('sha256').update(set.version);
  for (const r of kept.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(`\n${r.name}\0${r.version}`);
  }
  return { version: `${set.version}+${hash.digest('hex').slice(0, 16)}`, resources };
}

/**
 * Whether `resource` may be sent now: Clusters and ClusterLoadAssignments always; a route only
 * when every cluster it sends traffic to is held by the client (with its endpoints, for an EDS
 * cluster); a listener only when every route it fetches is ready in that sense.
 */
export function isReady(resource: Resource, snapshot: Snapshot, holds: Holds): boolean {
  const eds = snapshot.references.edsClusters;
  const clusterReady = (name: string) =>
    holds(TypeUrl.cluster, name) && (!eds.has(name) || holds(TypeUrl.endpoint, name));
  const routeReady = (route: Resource) =>
    [...(clustersOfRoute.get(route) ?? none)].every(clusterReady);
  if (resource.typeUrl === TypeUrl.route) return routeReady(resource);
  if (resource.typeUrl !== TypeUrl.listener) return true;
  const routes = snapshot.sets[TypeUrl.route].resources;
  return [...(routesOfListener.get(resource) ?? none)].every((name) => {
    const route = routes.get(name);
    return !route || routeReady(route);
  });
}

/**
 * EDS clusters a CDS ACK added or changed. Envoy warms each such cluster until it receives its
 * ClusterLoadAssignment, and may ask again with unchanged names and version, so the server must
 * answer even though nothing about the endpoints changed (kuma#331, envoy#9934).
 */
export function warmedClusters(
  before: ReadonlyMap<string, Resource> | undefined,
  acked: Iterable<Resource>,
  snapshot: Snapshot,
): string[] {
  const warmed: string[] = [];
  for (const cluster of acked) {
    const eds = snapshot.references.edsClusters.has(cluster.name);
    if (eds && before?.get(cluster.name)?.version !== cluster.version) warmed.push(cluster.name);
  }
  return warmed;
}
