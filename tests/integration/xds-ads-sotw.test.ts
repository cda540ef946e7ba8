import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import type { AggregatedDiscoveryServiceClient } from '../../schemas/gen/envoy/envoy/service/discovery/v3/ads.ts';
import type {
  DiscoveryRequest,
  DiscoveryResponse,
} from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { AdsMetrics } from '../../xds-server/ads/metrics.ts';
import { type AdsServer, createAdsServer } from '../../xds-server/ads/server.ts';
import { SyncStatus } from '../../xds-server/ads/sync-status.ts';
import { SnapshotCache } from '../../xds-server/snapshot/cache.ts';
import { type Snapshot, TypeUrl as T } from '../../xds-server/snapshot/types.ts';
import {
  adsClient,
  metricValue,
  sotwRequest,
  sotwStream,
  type TestStream,
} from '../support/ads-client.ts';
import { makeSnapshot, nameInBytes, routeTargets } from '../support/xds-snapshots.ts';

type Stream = TestStream<DiscoveryRequest, DiscoveryResponse>;

const log = createLogger('xds-ads-sotw-test', { level: 'silent' });
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
let port: number;

beforeEach(async () => {
  cache = new SnapshotCache();
  registry = new Registry();
  syncStatus = new SyncStatus();
  ads = createAdsServer({ watcher: cache, log, metrics: new AdsMetrics(registry), syncStatus });
  port = await ads.listen();
  client = adsClient(port);
});

afterEach(async () => {
  client.close();
  await ads.close();
});

const names = (response: DiscoveryResponse) =>
  response.resources.map((any) => nameInBytes(any.typeUrl, any.value)).sort();

const ack = (stream: Stream, node: string, response: DiscoveryResponse, resourceNames?: string[]) =>
  stream.send(
    sotwRequest(node, response.typeUrl, {
      version: response.versionInfo,
      nonce: response.nonce,
      names: resourceNames,
    }),
  );

async function expectNext(stream: Stream, typeUrl: string): Promise<DiscoveryResponse> {
  const response = await stream.next();
  expect(response.typeUrl).toBe(typeUrl);
  return response;
}

/** Envoy's start-up: CDS and LDS requests, EDS for the clusters, RDS for the listener's route. */
async function initialFetch(stream: Stream, node: string) {
  stream.send(sotwRequest(node, T.cluster));
  stream.send(sotwRequest(node, T.listener));
  const cds = await expectNext(stream, T.cluster);
  ack(stream, node, cds);
  stream.send(sotwRequest(node, T.endpoint, { names: names(cds) }));
  const eds = await expectNext(stream, T.endpoint);
  ack(stream, node, eds, names(cds));
  // The listener waited for its route's cluster to be ACKed with its endpoints.
  const lds = await expectNext(stream, T.listener);
  ack(stream, node, lds);
  stream.send(sotwRequest(node, T.route, { names: ['web'] }));
  const rds = await expectNext(stream, T.route);
  ack(stream, node, rds, ['web']);
  await vi.waitFor(() =>
    expect(syncStatus.get(node)?.types.rds.ackedVersion).toBe(rds.versionInfo),
  );
  return { cds, eds, lds, rds };
}

function setSnapshot(snapshot: Snapshot) {
  cache.setSnapshot('default', snapshot, { allowEndpointDrop: true });
}

describe('ADS state of the world', () => {
  it('serves nothing before the first snapshot', async () => {
    const stream = sotwStream(client);
    stream.send(sotwRequest('n1', T.cluster));
    await vi.waitFor(() => expect(syncStatus.get('n1')?.connected).toBe(true));
    expect(stream.received).toHaveLength(0);
    setSnapshot(toA);
    const cds = await expectNext(stream, T.cluster);
    expect(cds.versionInfo).toBe(toA.sets[T.cluster].version);
    expect(names(cds)).toEqual(['a']);
  });

  it('fetches CDS, EDS, LDS, RDS in order and records every ACK', async () => {
    setSnapshot(toA);
    const stream = sotwStream(client);
    const { cds, eds, lds, rds } = await initialFetch(stream, 'n1');
    expect([cds, eds, lds, rds].map((r) => r.versionInfo)).toEqual(
      [T.cluster, T.endpoint, T.listener, T.route].map((t) => toA.sets[t].version),
    );
    expect(names(rds)).toEqual(['web']);
    const nodes = syncStatus.toJSON().nodes;
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({
      id: 'n1',
      cluster: 'test-cluster',
      stream: 'sotw',
      connected: true,
    });
    for (const [key, type] of [
      ['cds', T.cluster],
      ['eds', T.endpoint],
      ['lds', T.listener],
      ['rds', T.route],
    ] as const) {
      expect(nodes[0]?.types[key]).toEqual({
        sentVersion: toA.sets[type].version,
        ackedVersion: toA.sets[type].version,
        lastNack: null,
        pending: false,
      });
      expect(await metricValue(registry, 'meshgraph_xds_pushes_total', { type: key })).toBe(1);
      expect(await metricValue(registry, 'meshgraph_xds_push_ack_seconds', { type: key })).toBe(1);
    }
    expect(await metricValue(registry, 'meshgraph_xds_connected_nodes')).toBe(1);
    stream.close();
    await vi.waitFor(async () =>
      expect(await metricValue(registry, 'meshgraph_xds_connected_nodes')).toBe(0),
    );
    expect(syncStatus.get('n1')?.connected).toBe(false);
  });

  it('ignores and counts a request with a stale nonce', async () => {
    setSnapshot(toA);
    const stream = sotwStream(client);
    const { cds, eds } = await initialFetch(stream, 'n1');
    stream.send(
      sotwRequest('n1', T.cluster, { version: cds.versionInfo, nonce: 'from-another-life' }),
    );
    // Answered only because the names changed; had the stale request been answered, its
    // response would come first.
    stream.send(
      sotwRequest('n1', T.endpoint, {
        version: eds.versionInfo,
        nonce: eds.nonce,
        names: ['a', 'x'],
      }),
    );
    const answer = await expectNext(stream, T.endpoint);
    expect(names(answer)).toEqual(['a']);
    expect(await metricValue(registry, 'meshgraph_xds_stale_nonces_total', { type: 'cds' })).toBe(
      1,
    );
    expect(await metricValue(registry, 'meshgraph_xds_pushes_total', { type: 'cds' })).toBe(1);
  });

  it('answers EDS when the requested names change although the version did not', async () => {
    setSnapshot(
      makeSnapshot({
        listeners: { ingress: ['web'] },
        routes: { web: ['a'] },
        clusters: { a: 2, b: 1 },
      }),
    );
    const stream = sotwStream(client);
    const { eds } = await initialFetch(stream, 'n1');
    expect(names(eds)).toEqual(['a', 'b']);
    stream.send(
      sotwRequest('n1', T.endpoint, {
        version: eds.versionInfo,
        nonce: eds.nonce,
        names: ['a', 'b'],
      }),
    );
    stream.send(
      sotwRequest('n1', T.endpoint, { version: eds.versionInfo, nonce: eds.nonce, names: ['a'] }),
    );
    const answer = await expectNext(stream, T.endpoint);
    expect(answer.versionInfo).toBe(eds.versionInfo);
    expect(names(answer)).toEqual(['a']);
    // The unchanged request got nothing: one initial response and this one.
    expect(await metricValue(registry, 'meshgraph_xds_pushes_total', { type: 'eds' })).toBe(2);
    expect(await metricValue(registry, 'meshgraph_xds_stale_nonces_total')).toBe(0);
  });

  it('records a NACK, never re-sends the rejected version, and sends a newer one', async () => {
    setSnapshot(toA);
    const stream = sotwStream(client);
    const { cds } = await initialFetch(stream, 'n1');
    const bad = makeSnapshot({
      listeners: { ingress: ['web'] },
      routes: { web: ['a'] },
      clusters: { a: 2 },
      tags: { a: 'bad' },
    });
    setSnapshot(bad);
    const rejected = await expectNext(stream, T.cluster);
    expect(rejected.versionInfo).toBe(bad.sets[T.cluster].version);
    stream.send(
      sotwRequest('n1', T.cluster, {
        version: cds.versionInfo,
        nonce: rejected.nonce,
        error: 'cluster a: bad lb_policy',
      }),
    );
    await vi.waitFor(() =>
      expect(syncStatus.get('n1')?.types.cds.lastNack?.message).toBe('cluster a: bad lb_policy'),
    );
    const status = syncStatus.get('n1')?.types.cds;
    expect(status).toMatchObject({ ackedVersion: cds.versionInfo, pending: false });
    expect(status?.lastNack).toMatchObject({ version: rejected.versionInfo, resources: ['a'] });
    expect(await metricValue(registry, 'meshgraph_xds_nacks_total', { type: 'cds' })).toBe(1);

    // Asking again, or reconnecting, does not bring the rejected version back.
    stream.send(sotwRequest('n1', T.cluster, { version: cds.versionInfo, nonce: rejected.nonce }));
    stream.close();
    const again = sotwStream(client);
    again.send(sotwRequest('n1', T.cluster, { version: cds.versionInfo }));
    // A restarted Envoy (no version) gets the last version it ACKed, not the rejected one.
    const fresh = sotwStream(client);
    fresh.send(sotwRequest('n1', T.cluster));
    const lastGood = await expectNext(fresh, T.cluster);
    expect(lastGood.versionInfo).toBe(cds.versionInfo);

    const fixed = makeSnapshot({
      listeners: { ingress: ['web'] },
      routes: { web: ['a'] },
      clusters: { a: 2 },
      tags: { a: 'fixed' },
    });
    setSnapshot(fixed);
    const newer = await expectNext(again, T.cluster);
    expect(newer.versionInfo).toBe(fixed.sets[T.cluster].version);
    const all = [...stream.received, ...again.received, ...fresh.received];
    expect(all.filter((r) => r.versionInfo === bad.sets[T.cluster].version)).toHaveLength(1);
    fresh.close();
    again.close();
  });

  it('switches a route from cluster a to b make-before-break', async () => {
    setSnapshot(toA);
    const stream = sotwStream(client);
    const initial = await initialFetch(stream, 'n1');
    const toB = makeSnapshot({
      listeners: { ingress: ['web'] },
      routes: { web: ['b'] },
      clusters: { b: 3 },
    });
    setSnapshot(toB);

    const cdsBoth = await expectNext(stream, T.cluster);
    expect(names(cdsBoth)).toEqual(['a', 'b']);
    ack(stream, 'n1', cdsBoth);
    // Envoy warms b and asks for its endpoints; the route must not have come before them.
    stream.send(
      sotwRequest('n1', T.endpoint, {
        version: initial.eds.versionInfo,
        nonce: initial.eds.nonce,
        names: ['a', 'b'],
      }),
    );
    const edsB = await expectNext(stream, T.endpoint);
    expect(names(edsB)).toEqual(['a', 'b']);
    ack(stream, 'n1', edsB, ['a', 'b']);

    const rds = await expectNext(stream, T.route);
    expect(rds.versionInfo).toBe(toB.sets[T.route].version);
    expect(routeTargets(rds.resources[0]?.value ?? new Uint8Array())).toEqual(['b']);
    ack(stream, 'n1', rds, ['web']);

    // Only now, with the switch ACKed, does a go away.
    const cdsB = await expectNext(stream, T.cluster);
    expect(cdsB.versionInfo).toBe(toB.sets[T.cluster].version);
    expect(names(cdsB)).toEqual(['b']);
    ack(stream, 'n1', cdsB);
    stream.send(
      sotwRequest('n1', T.endpoint, { version: edsB.versionInfo, nonce: edsB.nonce, names: ['b'] }),
    );
    const edsOnlyB = await expectNext(stream, T.endpoint);
    expect(edsOnlyB.versionInfo).toBe(toB.sets[T.endpoint].version);
    // The listener never changed, so LDS was never re-sent.
    expect(stream.received.filter((r) => r.typeUrl === T.listener)).toHaveLength(1);
  });

  it('sends nothing new to a node reconnecting to another replica with the same config', async () => {
    setSnapshot(toA);
    const stream = sotwStream(client);
    const initial = await initialFetch(stream, 'n1');
    stream.close();

    const replicaCache = new SnapshotCache();
    replicaCache.setSnapshot('default', toA);
    const replica = createAdsServer({ watcher: replicaCache, log });
    const replicaClient = adsClient(await replica.listen());
    try {
      const moved = sotwStream(replicaClient);
      moved.send(sotwRequest('n1', T.cluster, { version: initial.cds.versionInfo }));
      moved.send(sotwRequest('n1', T.listener, { version: initial.lds.versionInfo }));
      moved.send(sotwRequest('n1', T.endpoint, { version: initial.eds.versionInfo, names: ['a'] }));
      // The first answer is EDS: CDS and LDS, asked first, were already current.
      const eds = await expectNext(moved, T.endpoint);
      expect(eds.versionInfo).toBe(initial.eds.versionInfo);
      expect(eds.resources).toEqual(initial.eds.resources);
      ack(moved, 'n1', eds, ['a']);
      moved.send(sotwRequest('n1', T.route, { version: initial.rds.versionInfo, names: ['web'] }));
      const rds = await expectNext(moved, T.route);
      expect(rds.versionInfo).toBe(initial.rds.versionInfo);
      expect(moved.received.map((r) => r.typeUrl)).toEqual([T.endpoint, T.route]);
      moved.close();
    } finally {
      replicaClient.close();
      await replica.close();
    }
  });

  it('refuses a stream whose first request names no node, and ignores types it does not serve', async () => {
    const anonymous = sotwStream(client);
    anonymous.send(sotwRequest('', T.cluster));
    await expect(anonymous.next()).rejects.toMatchObject({
      code: 3,
      details: 'StreamAggregatedResources: the first request must carry node.id, got ""',
    });
    setSnapshot(toA);
    const stream = sotwStream(client);
    stream.send(
      sotwRequest('n1', 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'),
    );
    stream.send(sotwRequest('n1', T.cluster));
    // The first answer is CDS: the secret request got none.
    const cds = await expectNext(stream, T.cluster);
    expect(cds.versionInfo).toBe(toA.sets[T.cluster].version);
  });
});
