import { describe, expect, it } from 'vitest';
import { checkConsistency } from '../../xds-server/snapshot/consistency.ts';
import { makeSnapshot } from '../support/xds-snapshots.ts';

const mesh = {
  listeners: { ingress: ['web'] },
  routes: { web: ['frontend', 'api'] },
  clusters: { frontend: 2, api: 3 },
};

describe('checkConsistency', () => {
  it('accepts a snapshot whose every reference resolves', () => {
    expect(checkConsistency(makeSnapshot(mesh))).toEqual([]);
  });

  it('names the listener and the RouteConfiguration it fetches when the route is missing', () => {
    const problems = checkConsistency(makeSnapshot({ ...mesh, omit: ['web'] }));
    expect(problems).toEqual([
      'listener "ingress" fetches RouteConfiguration "web" over RDS, but the snapshot has no RouteConfiguration "web"',
    ]);
  });

  it('names the route and the cluster it sends traffic to when the cluster is missing', () => {
    const snapshot = makeSnapshot({ ...mesh, routes: { web: ['frontend', 'api', 'billing'] } });
    expect(checkConsistency(snapshot)).toEqual([
      'RouteConfiguration "web" sends traffic to cluster "billing", but the snapshot has no Cluster "billing"',
    ]);
  });

  it('names the EDS cluster whose ClusterLoadAssignment is missing', () => {
    const broken = makeSnapshot({ ...mesh, omitEndpoints: ['api'] });
    expect(checkConsistency(broken)).toEqual([
      'cluster "api" takes its endpoints from EDS, but the snapshot has no ClusterLoadAssignment "api"',
    ]);
  });

  it('reports every problem, not just the first', () => {
    const snapshot = makeSnapshot({ ...mesh, omit: ['web', 'api'] });
    const problems = checkConsistency(snapshot);
    expect(problems).toHaveLength(4);
    expect(problems).toContain(
      'references.edsClusters lists "api", but the snapshot has no Cluster "api"',
    );
    expect(problems).toContain(
      'RouteConfiguration "web" sends traffic to cluster "api", but the snapshot has no Cluster "api"',
    );
    expect(problems).toContain(
      'cluster "api" takes its endpoints from EDS, but the snapshot has no ClusterLoadAssignment "api"',
    );
  });
});
