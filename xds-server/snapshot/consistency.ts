/**
 * The mandatory consistency check a snapshot passes before the cache will serve it: Envoy accepts
 * a route to a cluster it does not know (and answers 503) and keeps an EDS cluster warming forever
 * without its ClusterLoadAssignment, so a dangling reference is an outage the proxy never reports.
 */

import { type Snapshot, TypeUrl } from './types.ts';

const kindOf: Record<TypeUrl, string> = {
  [TypeUrl.listener]: 'Listener',
  [TypeUrl.route]: 'RouteConfiguration',
  [TypeUrl.cluster]: 'Cluster',
  [TypeUrl.endpoint]: 'ClusterLoadAssignment',
};

/** Every problem as one sentence naming both sides of the broken reference; empty = consistent. */
export function checkConsistency(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  const { sets, references } = snapshot;
  const has = (type: TypeUrl, name: string) => sets[type].resources.has(name);

  for (const type of Object.values(TypeUrl)) {
    for (const [key, resource] of sets[type].resources) {
      // A mismatch here means the builder filed a resource under the wrong name or type; Envoy
      // would receive it under a name nothing references.
      if (resource.name !== key || resource.typeUrl !== type) {
        problems.push(
          `${kindOf[type]} set entry "${key}" holds resource "${resource.name}" of type ${resource.typeUrl}`,
        );
      }
    }
  }

  for (const [listener, routes] of references.listenerRoutes) {
    if (!has(TypeUrl.listener, listener)) {
      problems.push(
        `references.listenerRoutes names listener "${listener}", but the snapshot has no Listener "${listener}"`,
      );
    }
    for (const route of routes) {
      if (!has(TypeUrl.route, route)) {
        problems.push(
          `listener "${listener}" fetches RouteConfiguration "${route}" over RDS, but the snapshot has no RouteConfiguration "${route}"`,
        );
      }
    }
  }

  for (const [route, clusters] of references.routeClusters) {
    for (const cluster of clusters) {
      if (!has(TypeUrl.cluster, cluster)) {
        problems.push(
          `RouteConfiguration "${route}" sends traffic to cluster "${cluster}", but the snapshot has no Cluster "${cluster}"`,
        );
      }
    }
  }

  for (const cluster of references.edsClusters) {
    if (!has(TypeUrl.cluster, cluster)) {
      problems.push(
        `references.edsClusters lists "${cluster}", but the snapshot has no Cluster "${cluster}"`,
      );
    }
    if (!has(TypeUrl.endpoint, cluster)) {
      problems.push(
        `cluster "${cluster}" takes its endpoints from EDS, but the snapshot has no ClusterLoadAssignment "${cluster}"`,
      );
    }
  }
  return problems;
}
