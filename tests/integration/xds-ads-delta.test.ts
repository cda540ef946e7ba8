import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import type { AggregatedDiscoveryServiceClient } from '../../schemas/gen/envoy/envoy/service/discovery/v3/ads.ts';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { AdsMetrics } from '../../xds-server/ads/metrics.ts';
import { type AdsServer, createAdsServer } from '../../xds-server/ads/server.ts';
import { SyncStatus } from '../../xds-server/ads/sync-status.ts';
import { SnapshotCache } from '../../xds-server/snapshot/cache.ts';
import { type Snapshot, TypeUrl as T } from '../../xds-server/snapshot/types.ts';
import {
  adsClient,
  deltaRequest,
  deltaStream,
  metricValue,
  type TestStream,
} from '../support/ads-client.ts';
import { makeSnapshot, routeTargets } from '../support/xds-snapshots.ts';

type Stream = TestStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

const log = createLogger('xds-ads-delta-test', { level: 'silent' });
const toA = makeSnapshot({
  listeners: { ingress: ['web'] },
  routes: { web: ['a'] },
  clusters: { a: 2 },
});

let cache: SnapshotCache;
let registry: Registry;
let syncStatus: SyncStatus;
let ads: AdsServer;
let client: AggregatedDiscoveryServiceClient;

beforeEach(async () => {
  cache = new SnapshotCache();
  registry = new Registry();
  syncStatus = new SyncStatus();
  ads = createAdsServer({ watcher: cache, log, metrics: new AdsMetrics(registry), syncStatus });
  client = adsClient(await ads.listen());
});

afterEach(async () => {
  client.close();
  await ads.close();
});

const names = (response: DeltaDiscoveryResponse) => response.resources.map((r) => r.name).sort();
const versionOf = (snapshot: Snapshot, type: T, name: string) =>
  snapshot.sets[type].resources.get(name)?.version;
const ack = (stream: Stream, node: string, response: DeltaDiscoveryResponse) =>
  stream.send(deltaRequest(node, response.typeUrl, { nonce: response.nonce }));

async function expectNext(stream: Stream, typeUrl: string): Promise<DeltaDiscoveryResponse> {
  const response = await stream.next();
  expect(response.typeUrl).toBe(typeUrl);
  return response;
}

/** Envoy's start-up over delta: wildcard CDS and LDS, then EDS and RDS subscriptions. */
async function initialFetch(stream: Stream, node: string) {
  stream.send(deltaRequest(node, T.cluster));
  stream.send(deltaRequest(node, T.listener, { subscribe: ['*'] }));
  const cds = await expectNext(stream, T.cluster);
  ack(stream, node, cds);
  stream.send(deltaRequest(node, T.endpoint, { subscribe: names(cds) }));
  const eds = await expectNext(stream, T.endpoint);
  ack(stream, node, eds);
  const lds = await expectNext(stream, T.listener);
  ack(stream, node, lds);
  stream.send(deltaRequest(node, T.route, { subscribe: ['web'] }));
  const rds = await expectNext(stream, T.route);
  ack(stream, node, rds);
  await vi.waitFor(() =>
    expect(syncStatus.get(node)?.types.rds.ackedVersion).toBe(rds.systemVersionInfo),
  );
  return { cds, eds, lds, rds };
}

function setSnapshot(snapshot: Snapshot) {
  cache.setSnapshot('default', snapshot, { allowEndpointDrop: true });
}

describe('ADS delta', () => {
  it('serves nothing before the first snapshot', async () => {
    const stream = deltaStream(client);
    stream.send(deltaRequest('n1', T.cluster));
    await vi.waitFor(() => expect(syncStatus.get('n1')?.stream).toBe('delta'));
    expect(stream.received).toHaveLength(0);
    setSnapshot(toA);
    const cds = await expectNext(stream, T.cluster);
    expect(cds.resources.map((r) => [r.name, r.version])).toEqual([
      ['a', versionOf(toA, T.cluster, 'a')],
    ]);
    expect(cds.systemVersionInfo).toBe(toA.sets[T.cluster].version);
  });

  it('fetches CDS, EDS, LDS, RDS in order and records every ACK', async () => {
    setSnapshot(toA);
    const stream = deltaStream(client);
    const { cds, eds, lds, rds } = await initialFetch(stream, 'n1');
    expect([cds, eds, lds, rds].map(names)).toEqual([['a'], ['a'], ['ingress'], ['web']]);
    for (const [key, type] of [
      ['cds', T.cluster],
      ['eds', T.endpoint],
      ['lds', T.listener],
      ['rds', T.route],
    ] as const) {
      expect(syncStatus.get('n1')?.types[key]).toEqual({
        sentVersion: toA.sets[type].version,
        ackedVersion: toA.sets[type].version,
        lastNack: null,
        pending: false,
      });
      expect(await metricValue(registry, 'meshgraph_xds_push_ack_seconds', { type: key })).toBe(1);
    }
    expect(await metricValue(registry, 'meshgraph_xds_connected_nodes')).toBe(1);
  });

  it('ignores and counts an ACK with a stale nonce; a missing resource is answered as removed', async () => {
    setSnapshot(toA);
    const stream = deltaStream(client);
    await initialFetch(stream, 'n1');
    stream.send(deltaRequest('n1', T.cluster, { nonce: 'from-another-life' }));
    stream.send(deltaRequest('n1', T.endpoint, { subscribe: ['x'] }));
    const answer = await expectNext(stream, T.endpoint);
    expect(answer.resources).toEqual([]);
    expect(answer.removedResources).toEqual(['x']);
    expect(await metricValue(registry, 'meshgraph_xds_stale_nonces_total', { type: 'cds' })).toBe(
      1,
    );
  });

  it('reconciles initial_resource_versions: unchanged kept, changed resent, gone removed', async () => {
    const snapshot = makeSnapshot({ clusters: { a: 1, b: 1, c: 1 } });
    setSnapshot(snapshot);
    const stream = deltaStream(client);
    stream.send(
      deltaRequest('n1', T.cluster, {
        initial: {
          a: versionOf(snapshot, T.cluster, 'a') as string,
          b: 'older',
          d: 'deleted-meanwhile',
        },
      }),
    );
    const cds = await expectNext(stream, T.cluster);
    expect(names(cds)).toEqual(['b', 'c']);
    expect(cds.removedResources).toEqual(['d']);
  });

  it('quarantines a rejected resource version and sends the next one', async () => {
    setSnapshot(toA);
    const stream = deltaStream(client);
    const { cds } = await initialFetch(stream, 'n1');
    const good = versionOf(toA, T.cluster, 'a') as string;
    const bad = makeSnapshot({
      listeners: { ingress: ['web'] },
      routes: { web: ['a'] },
      clusters: { a: 2 },
      tags: { a: 'bad' },
    });
    setSnapshot(bad);
    const rejected = await expectNext(stream, T.cluster);
    expect(rejected.resources.map((r) => r.version)).toEqual([versionOf(bad, T.cluster, 'a')]);
    stream.send(
      deltaRequest('n1', T.cluster, { nonce: rejected.nonce, error: 'cluster a: bad lb_policy' }),
    );
    await vi.waitFor(() =>
      expect(syncStatus.get('n1')?.types.cds.lastNack?.message).toBe('cluster a: bad lb_policy'),
    );
    expect(syncStatus.get('n1')?.types.cds).toMatchObject({
      ackedVersion: cds.systemVersionInfo,
      lastNack: { version: bad.sets[T.cluster].version, resources: ['a'] },
    });
    expect(await metricValue(registry, 'meshgraph_xds_nacks_total', { type: 'cds' })).toBe(1);

    // Neither a reconnect holding the good version nor a restarted Envoy gets the bad one.
    stream.close();
    const again = deltaStream(client);
    again.send(deltaRequest('n1', T.cluster, { initial: { a: good } }));
    const fresh = deltaStream(client);
    fresh.send(deltaRequest('n1', T.cluster));
    const lastGood = await expectNext(fresh, T.cluster);
    expect(lastGood.resources.map((r) => r.version)).toEqual([good]);

    const fixed = makeSnapshot({
      listeners: { ingress: ['web'] },
      routes: { web: ['a'] },
      clusters: { a: 2 },
      tags: { a: 'fixed' },
    });
    setSnapshot(fixed);
    const newer = await expectNext(again, T.cluster);
    expect(newer.resources.map((r) => r.version)).toEqual([versionOf(fixed, T.cluster, 'a')]);
    const sent = [...stream.received, ...again.received, ...fresh.received].flatMap(
      (r) => r.resources,
    );
    expect(sent.filter((r) => r.version === versionOf(bad, T.cluster, 'a'))).toHaveLength(1);
    again.close();
    fresh.close();
  });

  it('switches a route from cluster a to b make-before-break', async () => {
    setSnapshot(toA);
    const stream = deltaStream(client);
    await initialFetch(stream, 'n1');
    const toB = makeSnapshot({
      listeners: { ingress: ['web'] },
      routes: { web: ['b'] },
      clusters: { b: 3 },
    });
    setSnapshot(toB);

    // a stays (no removal) while b is added.
    const cdsAdd = await expectNext(stream, T.cluster);
    expect(names(cdsAdd)).toEqual(['b']);
    expect(cdsAdd.removedResources).toEqual([]);
    ack(stream, 'n1', cdsAdd);
    stream.send(deltaRequest('n1', T.endpoint, { subscribe: ['b'] }));
    const edsB = await expectNext(stream, T.endpoint);
    expect(names(edsB)).toEqual(['b']);
    ack(stream, 'n1', edsB);

    const rds = await expectNext(stream, T.route);
    expect(routeTargets(rds.resources[0]?.resource?.value ?? new Uint8Array())).toEqual(['b']);
    ack(stream, 'n1', rds);

    const cdsRemove = await expectNext(stream, T.cluster);
    expect(cdsRemove.resources).toEqual([]);
    expect(cdsRemove.removedResources).toEqual(['a']);
    expect(cdsRemove.systemVersionInfo).toBe(toB.sets[T.cluster].version);
    const edsRemove = await expectNext(stream, T.endpoint);
    expect(edsRemove.removedResources).toEqual(['a']);
    expect(stream.received.filter((r) => r.typeUrl === T.listener)).toHaveLength(1);
  });

  it('sends nothing to a node reconnecting to another replica with the same config', async () => {
    setSnapshot(toA);
    const replicaCache = new SnapshotCache();
    replicaCache.setSnapshot('default', toA);
    const replica = createAdsServer({ watcher: replicaCache, log });
    const replicaClient = adsClient(await replica.listen());
    try {
      const moved = deltaStream(replicaClient);
      const held = (type: T) =>
        Object.fromEntries([...toA.sets[type].resources].map(([n, r]) => [n, r.version]));
      moved.send(deltaRequest('n1', T.cluster, { initial: held(T.cluster) }));
      moved.send(deltaRequest('n1', T.listener, { initial: held(T.listener) }));
      moved.send(deltaRequest('n1', T.endpoint, { subscribe: ['a'], initial: held(T.endpoint) }));
      moved.send(deltaRequest('n1', T.route, { subscribe: ['web'], initial: held(T.route) }));
      moved.send(deltaRequest('n1', T.endpoint, { subscribe: ['x'] }));
      // The only answer is the one for the resource that does not exist.
      const answer = await expectNext(moved, T.endpoint);
      expect(answer.removedResources).toEqual(['x']);
      expect(moved.received).toHaveLength(1);
      moved.close();
    } finally {
      replicaClient.close();
      await replica.close();
    }
  });

  it('sends a resource again after the client unsubscribed and re-subscribed it', async () => {
    setSnapshot(toA);
    const stream = deltaStream(client);
    const { eds } = await initialFetch(stream, 'n1');
    stream.send(deltaRequest('n1', T.endpoint, { unsubscribe: ['a'] }));
    stream.send(deltaRequest('n1', T.endpoint, { subscribe: ['a'] }));
    const again = await expectNext(stream, T.endpoint);
    expect(again.resources).toEqual(eds.resources);
  });
});
