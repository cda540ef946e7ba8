import { describe, expect, it } from 'vitest';
import { SnapshotCache, SnapshotRejected } from '../../xds-server/snapshot/cache.ts';
import type { Snapshot } from '../../xds-server/snapshot/types.ts';
import { makeSnapshot } from '../support/xds-snapshots.ts';

const node = { id: 'envoy-1', cluster: 'edge' };
const mesh = (endpoints: number, extra: Record<string, number> = {}) =>
  makeSnapshot({
    listeners: { ingress: ['web'] },
    routes: { web: ['api'] },
    clusters: { api: endpoints, ...extra },
  });

function recorder() {
  const seen: Snapshot[] = [];
  return { seen, onSnapshot: (s: Snapshot) => seen.push(s) };
}

describe('SnapshotCache watch', () => {
  it('calls nothing before the first snapshot, then every change', () => {
    const cache = new SnapshotCache();
    const { seen, onSnapshot } = recorder();
    cache.watch(node, onSnapshot);
    expect(seen).toEqual([]);
    const first = mesh(4);
    cache.setSnapshot('default', first);
    const second = mesh(4, { billing: 2 });
    cache.setSnapshot('default', second);
    expect(seen).toEqual([first, second]);
  });

  it('calls back at once when the group already has a snapshot, and stops when unwatched', () => {
    const cache = new SnapshotCache();
    const first = mesh(4);
    cache.setSnapshot('default', first);
    const { seen, onSnapshot } = recorder();
    const stop = cache.watch(node, onSnapshot);
    expect(seen).toEqual([first]);
    stop();
    cache.setSnapshot('default', mesh(4, { billing: 1 }));
    expect(seen).toEqual([first]);
  });

  it('serves each node the snapshot of its group', () => {
    const cache = new SnapshotCache({
      groupOf: (n) => (n.cluster === 'edge' ? 'edge' : 'internal'),
    });
    const edge = recorder();
    const internal = recorder();
    cache.watch(node, edge.onSnapshot);
    cache.watch({ id: 'sidecar-1', cluster: 'payments' }, internal.onSnapshot);
    const edgeSnapshot = mesh(2);
    cache.setSnapshot('edge', edgeSnapshot);
    expect(edge.seen).toEqual([edgeSnapshot]);
    expect(internal.seen).toEqual([]);
    expect(cache.groupOf({ id: 'x', cluster: 'payments' })).toBe('internal');
  });

  it('freezes what it serves', () => {
    const cache = new SnapshotCache();
    const snapshot = mesh(1);
    cache.setSnapshot('default', snapshot);
    expect(Object.isFrozen(cache.getSnapshot('default'))).toBe(true);
  });
});

describe('SnapshotCache rejections', () => {
  it('rejects an inconsistent snapshot with its reasons and keeps serving the previous one', () => {
    const cache = new SnapshotCache();
    const good = mesh(4);
    cache.setSnapshot('default', good);
    const { seen, onSnapshot } = recorder();
    cache.watch(node, onSnapshot);
    const broken = makeSnapshot({ listeners: { ingress: ['web'] }, routes: { web: ['api'] } });
    let caught: unknown;
    try {
      cache.setSnapshot('default', broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SnapshotRejected);
    expect((caught as SnapshotRejected).reasons).toEqual([
      'RouteConfiguration "web" sends traffic to cluster "api", but the snapshot has no Cluster "api"',
    ]);
    expect((caught as SnapshotRejected).message).toContain('SnapshotCache.setSnapshot');
    expect(cache.getSnapshot('default')).toBe(good);
    expect(seen).toEqual([good]);
  });

  it('rejects an inconsistent first snapshot, leaving nothing served', () => {
    const cache = new SnapshotCache();
    const { seen, onSnapshot } = recorder();
    cache.watch(node, onSnapshot);
    expect(() => cache.setSnapshot('default', makeSnapshot({ routes: { web: ['api'] } }))).toThrow(
      SnapshotRejected,
    );
    expect(cache.getSnapshot('default')).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('guards against an EDS cluster losing more than half its endpoints', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('default', mesh(10));
    expect(() => cache.setSnapshot('default', mesh(4))).toThrow(
      'cluster "api" would drop from 10 to 4 endpoints (60% > 50% allowed)',
    );
    expect(cache.getSnapshot('default')?.references.edsClusters.has('api')).toBe(true);
    const fine = mesh(5);
    cache.setSnapshot('default', fine);
    expect(cache.getSnapshot('default')).toBe(fine);
  });

  it('guards against an EDS cluster going to zero endpoints, whatever the fraction', () => {
    const cache = new SnapshotCache({ maxEndpointDropFraction: 0.99 });
    cache.setSnapshot('default', mesh(1));
    expect(() => cache.setSnapshot('default', mesh(0))).toThrow(
      'cluster "api" would lose all 1 of its endpoints',
    );
  });

  it('lets an intended drop through with allowEndpointDrop', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('default', mesh(10));
    const shrunk = mesh(0);
    cache.setSnapshot('default', shrunk, { allowEndpointDrop: true });
    expect(cache.getSnapshot('default')).toBe(shrunk);
  });

  it('does not count removing a whole cluster as an endpoint drop', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('default', mesh(3, { billing: 8 }));
    const withoutBilling = mesh(3);
    cache.setSnapshot('default', withoutBilling);
    expect(cache.getSnapshot('default')).toBe(withoutBilling);
  });

  it('refuses a drop fraction outside [0, 1)', () => {
    expect(() => new SnapshotCache({ maxEndpointDropFraction: 1.5 })).toThrow(
      'SnapshotCache: maxEndpointDropFraction must be in [0, 1), got 1.5',
    );
  });
});
