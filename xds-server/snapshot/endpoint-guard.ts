/**
 * The guard against large endpoint drops: a bug upstream of the cache (an empty discovery answer,
 * a half-read config) looks exactly like a config that removed most endpoints, and Envoy would
 * apply it at once. Only the operator's own edit may shrink a cluster that far.
 */

import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { type Resource, type Snapshot, TypeUrl } from './types.ts';

// Resources are immutable values, so a count decoded once stays true.
const counted = new WeakMap<Resource, number>();

/** Endpoints in a ClusterLoadAssignment resource (both lb_endpoints forms, every locality). */
export function countEndpoints(resource: Resource): number {
  const known = counted.get(resource);
  if (known !== undefined) return known;
  let cla: ClusterLoadAssignment;
  try {
    cla = ClusterLoadAssignment.decode(resource.bytes);
  } catch (error) {
    throw new Error(
      `countEndpoints: ClusterLoadAssignment "${resource.name}" does not decode: ${(error as Error).message}`,
    );
  }
  let total = 0;
  for (const locality of cla.endpoints) {
    total +=
      locality.lbEndpoints.length + (locality.loadBalancerEndpoints?.lbEndpoints.length ?? 0);
  }
  counted.set(resource, total);
  return total;
}

/**
 * One sentence per EDS cluster that loses more than `maxDropFraction` of its endpoints, or all of
 * them, from `served` to `next`. A cluster absent from `next` is not a drop: removing a whole
 * cluster is a routing change the consistency check already vouches for.
 */
export function endpointDrops(served: Snapshot, next: Snapshot, maxDropFraction: number): string[] {
  const problems: string[] = [];
  const before = served.sets[TypeUrl.endpoint].resources;
  const after = next.sets[TypeUrl.endpoint].resources;
  for (const cluster of next.references.edsClusters) {
    const old = before.get(cluster);
    const now = after.get(cluster);
    if (!old || !now) continue;
    const from = countEndpoints(old);
    const to = countEndpoints(now);
    if (from === 0 || to >= from) continue;
    const fraction = (from - to) / from;
    if (to === 0) {
      problems.push(`cluster "${cluster}" would lose all ${from} of its endpoints`);
    } else if (fraction > maxDropFraction) {
      problems.push(
        `cluster "${cluster}" would drop from ${from} to ${to} endpoints (${Math.round(fraction * 100)}% > ${Math.round(maxDropFraction * 100)}% allowed)`,
      );
    }
  }
  return problems;
}
