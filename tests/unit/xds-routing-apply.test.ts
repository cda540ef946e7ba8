import { describe, expect, it } from 'vitest';
import type { ClusterConfig, MeshConfig, RouteConfig } from '../../xds-server/mesh-config/types.ts';
import { applyRoutingChange, pruneRouting } from '../../xds-server/routing/apply.ts';
import {
  emptyRouting,
  type RoutingChange,
  type RoutingState,
} from '../../xds-server/routing/types.ts';

function clusterConfig(
  name: string,
  ports: number[],
  policy: 'static' | 'adaptive' = 'adaptive',
): ClusterConfig {
  return {
    name,
    endpoints: ports.map((port) => ({ host: '10.0.0.1', port, weight: 1 })),
    lbPolicy: 'round_robin',
    connectTimeoutMs: 1000,
    policy,
    http2: false,
  };
}

function routeConfig(name: string, destination: RouteConfig['destination']): RouteConfig {
  return { name, match: { prefix: '/', headers: [] }, destination, timeoutMs: 15_000 };
}

const split = (clusters: Record<string, number>): RouteConfig['destination'] => ({
  kind: 'split',
  clusters: Object.entries(clusters).map(([cluster, weight]) => ({ cluster, weight })),
});

const config: MeshConfig = {
  listeners: [
    {
      name: 'ingress',
      port: 10000,
      address: '127.0.0.1',
      routes: [
        routeConfig('chat', split({ 'llm-a': 80, 'llm-b': 20 })),
        routeConfig('web', { kind: 'cluster', cluster: 'web' }),
      ],
    },
    {
      name: 'api',
      address: '127.0.0.1',
      routes: [routeConfig('zero', split({ 'llm-a': 0, 'llm-b': 0 }))],
    },
  ],
  clusters: [
    clusterConfig('web', [8081, 8082, 8083]),
    clusterConfig('llm-a', [9000]),
    clusterConfig('llm-b', [9000], 'static'),
  ],
};

const weights = (record: Record<string, number>) => new Map(Object.entries(record));
const endpoints = (cluster: string, record: Record<string, number>): RoutingChange => ({
  kind: 'endpoint-weights',
  cluster,
  weights: weights(record),
});
const splitChange = (route: string, record: Record<string, number>): RoutingChange => ({
  kind: 'route-split',
  route,
  weights: weights(record),
});

function applied(change: RoutingChange, state: RoutingState = emptyRouting): RoutingState {
  const result = applyRoutingChange(state, change, config);
  if (!result.ok) throw new Error(`unexpected ${result.error.code}: ${result.error.message}`);
  return result.state;
}

function refused(change: RoutingChange, state: RoutingState = emptyRouting) {
  const result = applyRoutingChange(state, change, config);
  expect(result.ok).toBe(false);
  return result.ok ? undefined : result.error;
}

const plain = (state: RoutingState) => ({
  endpointWeights: Object.fromEntries(
    [...state.endpointWeights].map(([k, v]) => [k, Object.fromEntries(v)]),
  ),
  routeSplits: Object.fromEntries(
    [...state.routeSplits].map(([k, v]) => [k, Object.fromEntries(v)]),
  ),
});

describe('endpoint weights', () => {
  it('sets a private copy, returns a new frozen state and leaves the old one alone', () => {
    const mine = weights({ '10.0.0.1:8081': 0, '10.0.0.1:8082': 128 });
    const state = applied({ kind: 'endpoint-weights', cluster: 'web', weights: mine });
    expect(plain(state)).toEqual({
      endpointWeights: { web: { '10.0.0.1:8081': 0, '10.0.0.1:8082': 128 } },
      routeSplits: {},
    });
    expect(Object.isFrozen(state)).toBe(true);
    expect(emptyRouting.endpointWeights.size).toBe(0);
    mine.set('10.0.0.1:8083', 5);
    expect(state.endpointWeights.get('web')?.has('10.0.0.1:8083')).toBe(false);
    // Replaces the whole map, other clusters untouched.
    const next = applied(
      endpoints('web', { '10.0.0.1:8083': 2 }),
      applied(endpoints('llm-a', { '10.0.0.1:9000': 3 }), state),
    );
    expect(plain(next).endpointWeights).toEqual({
      web: { '10.0.0.1:8083': 2 },
      'llm-a': { '10.0.0.1:9000': 3 },
    });
    expect(plain(state).endpointWeights).toEqual({
      web: { '10.0.0.1:8081': 0, '10.0.0.1:8082': 128 },
    });
  });

  it('refuses an unknown cluster, listing the known ones', () => {
    expect(refused(endpoints('nope', {}))).toEqual({
      code: 'UNKNOWN_CLUSTER',
      message: 'unknown cluster "nope"; known clusters: "web", "llm-a", "llm-b"',
    });
    expect(refused({ kind: 'clear-endpoint-weights', cluster: 'nope' })?.code).toBe(
      'UNKNOWN_CLUSTER',
    );
  });

  it('refuses weights for a static cluster', () => {
    expect(refused(endpoints('llm-b', { '10.0.0.1:9000': 2 }))).toEqual({
      code: 'STATIC_CLUSTER',
      message:
        'cluster "llm-b" has policy static: its endpoint weights come from the mesh config only',
    });
  });

  it('refuses an endpoint the cluster does not have, quoting it', () => {
    expect(refused(endpoints('web', { '10.0.0.1:8081': 1, '10.0.0.9:8081': 1 }))).toEqual({
      code: 'UNKNOWN_ENDPOINT',
      message:
        'unknown endpoint "10.0.0.9:8081" in cluster "web"; configured endpoints: "10.0.0.1:8081", "10.0.0.1:8082", "10.0.0.1:8083"',
    });
  });

  it.each([129, -1, 1.5, Number.NaN])('refuses weight %s', (weight) => {
    expect(refused(endpoints('web', { '10.0.0.1:8082': weight }))).toEqual({
      code: 'BAD_WEIGHT',
      message: `weight of endpoint "10.0.0.1:8082" in cluster "web" must be an integer from 0 to 128, got ${weight}`,
    });
  });

  it('ejects some endpoints but never all, counting configured weights of unnamed ones', () => {
    expect(
      applied(endpoints('web', { '10.0.0.1:8081': 0, '10.0.0.1:8082': 0 })).endpointWeights.size,
    ).toBe(1);
    expect(
      refused(endpoints('web', { '10.0.0.1:8081': 0, '10.0.0.1:8082': 0, '10.0.0.1:8083': 0 })),
    ).toEqual({
      code: 'ALL_EJECTED',
      message:
        'cluster "web": every endpoint would have weight 0; at least one must keep a weight above 0',
    });
    expect(refused(endpoints('llm-a', { '10.0.0.1:9000': 0 }))?.code).toBe('ALL_EJECTED');
  });

  it('clears, and an empty map clears too', () => {
    const state = applied(endpoints('web', { '10.0.0.1:8081': 4 }));
    expect(
      applied({ kind: 'clear-endpoint-weights', cluster: 'web' }, state).endpointWeights.size,
    ).toBe(0);
    expect(applied(endpoints('web', {}), state).endpointWeights.size).toBe(0);
    // Clearing is idempotent, static clusters included.
    expect(applied({ kind: 'clear-endpoint-weights', cluster: 'llm-b' }).endpointWeights.size).toBe(
      0,
    );
  });
});

describe('route splits', () => {
  it('sets a split over the route’s configured clusters', () => {
    const state = applied(splitChange('chat', { 'llm-a': 0, 'llm-b': 100 }));
    expect(plain(state)).toEqual({
      endpointWeights: {},
      routeSplits: { chat: { 'llm-a': 0, 'llm-b': 100 } },
    });
    expect(applied({ kind: 'clear-route-split', route: 'chat' }, state).routeSplits.size).toBe(0);
  });

  it('refuses an unknown route, listing the known ones', () => {
    expect(refused(splitChange('nope', { 'llm-a': 1 }))).toEqual({
      code: 'UNKNOWN_ROUTE',
      message: 'unknown route "nope"; known routes: "chat", "web", "zero"',
    });
    expect(refused({ kind: 'clear-route-split', route: 'nope' })?.code).toBe('UNKNOWN_ROUTE');
  });

  it('refuses a route that sends to one cluster', () => {
    expect(refused(splitChange('web', { web: 1 }))).toEqual({
      code: 'NOT_A_SPLIT_ROUTE',
      message:
        'route "web" sends to the single cluster "web"; only routes with a weighted split take split weights',
    });
  });

  it('refuses a cluster outside the route’s split', () => {
    expect(refused(splitChange('chat', { 'llm-a': 1, web: 1 }))).toEqual({
      code: 'CLUSTER_NOT_IN_SPLIT',
      message: 'cluster "web" is not in the split of route "chat"; its clusters: "llm-a", "llm-b"',
    });
  });

  it.each([-1, 2.5, 2 ** 32])('refuses weight %s', (weight) => {
    expect(refused(splitChange('chat', { 'llm-b': weight }))).toEqual({
      code: 'BAD_WEIGHT',
      message: `weight of cluster "llm-b" in route "chat" must be an integer from 0 to 4294967295, got ${weight}`,
    });
  });

  it('needs a positive sum, counting configured weights of unnamed clusters', () => {
    expect(refused(splitChange('chat', { 'llm-a': 0, 'llm-b': 0 }))).toEqual({
      code: 'BAD_TOTAL_WEIGHT',
      message: 'route "chat": split weights sum to 0; the sum must be from 1 to 4294967295',
    });
    expect(applied(splitChange('chat', { 'llm-a': 0 })).routeSplits.get('chat')).toEqual(
      weights({ 'llm-a': 0 }),
    );
    expect(refused(splitChange('zero', { 'llm-a': 0 }))?.code).toBe('BAD_TOTAL_WEIGHT');
    expect(applied(splitChange('zero', { 'llm-b': 1 })).routeSplits.size).toBe(1);
    expect(refused(splitChange('chat', { 'llm-a': 2 ** 32 - 1 }))).toEqual({
      code: 'BAD_TOTAL_WEIGHT',
      message: `route "chat": split weights sum to ${2 ** 32 + 19}; the sum must be from 1 to 4294967295`,
    });
  });
});

describe('pruneRouting', () => {
  const state = [
    endpoints('web', { '10.0.0.1:8081': 0, '10.0.0.1:8082': 5 }),
    endpoints('llm-a', { '10.0.0.1:9000': 9 }),
    splitChange('chat', { 'llm-a': 10, 'llm-b': 30 }),
    splitChange('zero', { 'llm-b': 1 }),
  ].reduce((current, change) => applied(change, current), emptyRouting);

  it('returns the same state when everything still exists', () => {
    expect(pruneRouting(state, config)).toBe(state);
  });

  it('drops what the new config no longer has, and maps that would eject all or zero a split', () => {
    const next: MeshConfig = {
      listeners: [
        {
          name: 'ingress',
          port: 10000,
          address: '127.0.0.1',
          // chat loses llm-b; zero becomes a single-cluster route.
          routes: [
            routeConfig('chat', split({ 'llm-a': 1, web: 1 })),
            routeConfig('zero', { kind: 'cluster', cluster: 'web' }),
          ],
        },
      ],
      // web loses 8082, leaving 8081 at 0 as its only endpoint; llm-a turns static.
      clusters: [clusterConfig('web', [8081]), clusterConfig('llm-a', [9000], 'static')],
    };
    expect(plain(pruneRouting(state, next))).toEqual({
      endpointWeights: {},
      routeSplits: { chat: { 'llm-a': 10 } },
    });
    const kept: MeshConfig = { ...next, clusters: [clusterConfig('web', [8081, 8083])] };
    expect(plain(pruneRouting(state, kept)).endpointWeights).toEqual({
      web: { '10.0.0.1:8081': 0 },
    });
    expect(plain(state).endpointWeights.web).toEqual({ '10.0.0.1:8081': 0, '10.0.0.1:8082': 5 });
    expect(Object.isFrozen(pruneRouting(state, next))).toBe(true);
  });
});
