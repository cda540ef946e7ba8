/**
 * Hand-built snapshots for the xDS cache and ADS tests. ClusterLoadAssignments are real encoded
 * messages (the endpoint-drop guard decodes them); other resources are small JSON documents, enough
 * for the server, which never looks inside them, and for tests to read names back.
 */

import { createHash } from 'node:crypto';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import {
  type Resource,
  type ResourceSet,
  type Snapshot,
  TypeUrl,
} from '../../xds-server/snapshot/types.ts';

/**
 * - `listeners`: listener → route names it fetches over RDS.
 * - `routes`: route → clusters it sends traffic to.
 * - `clusters`: EDS clusters → endpoint count (each gets a real ClusterLoadAssignment).
 * - `tags`: resource name → a tag mixed into its bytes, to change its content (and version).
 * - `omit`: resource names to leave out of their set while keeping the references (for
 *   inconsistent snapshots); `omitEndpoints`: the same for ClusterLoadAssignments only.
 */
export interface SnapshotSpec {
  listeners?: Record<string, string[]>;
  routes?: Record<string, string[]>;
  clusters?: Record<string, number>;
  tags?: Record<string, string>;
  omit?: string[];
  omitEndpoints?: string[];
}

const hash = (data: Uint8Array | string) =>
  createHash('sha256').update(data).digest('hex').slice(0, 16);

function resource(typeUrl: TypeUrl, name: string, bytes: Uint8Array): Resource {
  return { name, typeUrl, bytes, version: hash(bytes) };
}

function json(typeUrl: TypeUrl, name: string, body: unknown, tag?: string): Resource {
  return resource(typeUrl, name, new TextEncoder().encode(JSON.stringify({ name, body, tag })));
}

function loadAssignment(cluster: string, count: number, tag?: string): Resource {
  const port = 8000 + (tag ? Number.parseInt(hash(tag).slice(0, 3), 16) : 0);
  const lbEndpoints = Array.from({ length: count }, (_, i) => ({
    endpoint: { address: { socketAddress: { address: `10.0.0.${i + 1}`, portValue: port } } },
  }));
  const cla = ClusterLoadAssignment.fromPartial({
    clusterName: cluster,
    endpoints: [{ lbEndpoints }],
  });
  return resource(TypeUrl.endpoint, cluster, ClusterLoadAssignment.encode(cla).finish());
}

function set(resources: Resource[], omit: ReadonlySet<string>): ResourceSet {
  const kept = resources.filter((r) => !omit.has(r.name));
  const lines = kept.map((r) => `${r.name}:${r.version}`).sort();
  return { version: hash(lines.join('\n')), resources: new Map(kept.map((r) => [r.name, r])) };
}

export function makeSnapshot(spec: SnapshotSpec): Snapshot {
  const tags = spec.tags ?? {};
  const omit = new Set(spec.omit ?? []);
  const listeners = Object.entries(spec.listeners ?? {});
  const routes = Object.entries(spec.routes ?? {});
  const clusters = Object.entries(spec.clusters ?? {});
  return {
    sets: {
      [TypeUrl.listener]: set(
        listeners.map(([n, r]) => json(TypeUrl.listener, n, r, tags[n])),
        omit,
      ),
      [TypeUrl.route]: set(
        routes.map(([n, c]) => json(TypeUrl.route, n, c, tags[n])),
        omit,
      ),
      [TypeUrl.cluster]: set(
        clusters.map(([n]) => json(TypeUrl.cluster, n, 'eds', tags[n])),
        omit,
      ),
      [TypeUrl.endpoint]: set(
        clusters.map(([n, count]) => loadAssignment(n, count, tags[n])),
        new Set([...omit, ...(spec.omitEndpoints ?? [])]),
      ),
    },
    references: {
      listenerRoutes: new Map(listeners.map(([n, r]) => [n, new Set(r)])),
      routeClusters: new Map(routes.map(([n, c]) => [n, new Set(c)])),
      edsClusters: new Set(clusters.map(([n]) => n)),
    },
  };
}

/** The name inside a resource's bytes, as a test reads it back from a response. */
export function nameInBytes(typeUrl: string, bytes: Uint8Array): string {
  if (typeUrl === TypeUrl.endpoint) return ClusterLoadAssignment.decode(bytes).clusterName;
  return (JSON.parse(new TextDecoder().decode(bytes)) as { name: string }).name;
}

/** What a route sends traffic to, read back from its bytes. */
export function routeTargets(bytes: Uint8Array): string[] {
  return (JSON.parse(new TextDecoder().decode(bytes)) as { body: string[] }).body;
}
