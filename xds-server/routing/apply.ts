import {
  type ClusterConfig,
  endpointKey,
  type MeshConfig,
  maxEndpointWeight,
  type RouteConfig,
} from '../mesh-config/types.ts';
import { routingErrors as errors, type RoutingError } from './errors.ts';
import type { RoutingResult } from './sink.ts';
import type { RoutingChange, RoutingState } from './types.ts';

/** Split weights and their sum are uint32 in Envoy. */
export const maxSplitWeight = 0xffff_ffff;

type Weights = ReadonlyMap<string, number>;

/**
 * Validates `change` against `config` and returns the state with it applied; never mutates
 * `state` or the change's map. A weights map replaces the cluster's (route's) previous one
 * whole; a key it leaves out runs with its configured weight, so checks that look at the
 * outcome (never all ejected, positive split sum) count those too. An empty map is the same
 * as a clear. Errors come from the first problem found, in the map's order.
 */
export function applyRoutingChange(
  state: RoutingState,
  change: RoutingChange,
  config: MeshConfig,
): RoutingResult {
  if (change.kind === 'endpoint-weights' || change.kind === 'clear-endpoint-weights') {
    const names = config.clusters.map((cluster) => cluster.name);
    const cluster = config.clusters.find((candidate) => candidate.name === change.cluster);
    if (!cluster) return fail(errors.unknownCluster(change.cluster, names));
    if (change.kind === 'clear-endpoint-weights') return done(state, 'endpointWeights', cluster);
    return done(state, 'endpointWeights', cluster, change.weights, checkEndpointWeights);
  }
  const routes = allRoutes(config);
  const route = routes.find((candidate) => candidate.name === change.route);
  if (!route) {
    const names = routes.map((candidate) => candidate.name);
    return fail(errors.unknownRoute(change.route, names));
  }
  // Clearing is idempotent: fine for any known route, split or not.
  if (change.kind === 'clear-route-split') return done(state, 'routeSplits', route);
  return done(state, 'routeSplits', route, change.weights, checkSplitWeights);
}

/**
 * The routing state that still makes sense under a new mesh config: weights for clusters,
 * endpoints, routes and split members the config no longer has are dropped, as are endpoint
 * weights of clusters now `static`. A map left empty, or one that would now eject every
 * endpoint or zero a split, is dropped whole (fail static: configured weights). Returns
 * `state` itself when nothing changed.
 */
export function pruneRouting(state: RoutingState, config: MeshConfig): RoutingState {
  const clusters = new Map(config.clusters.map((cluster) => [cluster.name, cluster]));
  const routes = new Map(allRoutes(config).map((route) => [route.name, route]));
  const endpointWeights = prune(state.endpointWeights, (name, weights) => {
    const cluster = clusters.get(name);
    if (!cluster || cluster.policy === 'static') return undefined;
    const keys = new Set(cluster.endpoints.map(endpointKey));
    const kept = new Map([...weights].filter(([key]) => keys.has(key)));
    return checkEndpointWeights(cluster, kept) ? undefined : kept;
  });
  const routeSplits = prune(state.routeSplits, (name, weights) => {
    const route = routes.get(name);
    if (route?.destination.kind !== 'split') return undefined;
    const members = new Set(route.destination.clusters.map(({ cluster }) => cluster));
    const kept = new Map([...weights].filter(([cluster]) => members.has(cluster)));
    return checkSplitWeights(route, kept) ? undefined : kept;
  });
  if (endpointWeights === state.endpointWeights && routeSplits === state.routeSplits) return state;
  return Object.freeze({ endpointWeights, routeSplits });
}

function checkEndpointWeights(cluster: ClusterConfig, weights: Weights): RoutingError | undefined {
  if (cluster.policy === 'static') return errors.staticCluster(cluster.name);
  const keys = cluster.endpoints.map(endpointKey);
  for (const [key, weight] of weights) {
    if (!keys.includes(key)) return errors.unknownEndpoint(key, cluster.name, keys);
    if (!isWeight(weight, maxEndpointWeight)) {
      const what = `endpoint ${JSON.stringify(key)} in cluster ${JSON.stringify(cluster.name)}`;
      return errors.badWeight(what, maxEndpointWeight, weight);
    }
  }
  const live = cluster.endpoints.some((e) => (weights.get(endpointKey(e)) ?? e.weight) > 0);
  return live ? undefined : errors.allEjected(cluster.name);
}

function checkSplitWeights(route: RouteConfig, weights: Weights): RoutingError | undefined {
  const { destination } = route;
  if (destination.kind !== 'split') return errors.notASplitRoute(route.name, destination.cluster);
  const members = destination.clusters.map(({ cluster }) => cluster);
  for (const [cluster, weight] of weights) {
    if (!members.includes(cluster)) return errors.clusterNotInSplit(cluster, route.name, members);
    if (!isWeight(weight, maxSplitWeight)) {
      const what = `cluster ${JSON.stringify(cluster)} in route ${JSON.stringify(route.name)}`;
      return errors.badWeight(what, maxSplitWeight, weight);
    }
  }
  let sum = 0;
  for (const { cluster, weight } of destination.clusters) sum += weights.get(cluster) ?? weight;
  return sum >= 1 && sum <= maxSplitWeight
    ? undefined
    : errors.badTotalWeight(route.name, sum, maxSplitWeight);
}

function isWeight(weight: number, max: number): boolean {
  return Number.isInteger(weight) && weight >= 0 && weight <= max;
}

function allRoutes(config: MeshConfig): RouteConfig[] {
  return config.listeners.flatMap((listener) => listener.routes);
}

function fail(error: RoutingError): RoutingResult {
  return { ok: false, error };
}

/**
 * The state with `target`'s entry of one map set to a private copy of `weights` (once `check`
 * finds nothing wrong with them), or removed when there are none.
 */
function done<T extends { name: string }>(
  state: RoutingState,
  field: keyof RoutingState,
  target: T,
  weights?: Weights,
  check?: (target: T, weights: Weights) => RoutingError | undefined,
): RoutingResult {
  const error = weights && check?.(target, weights);
  if (error) return fail(error);
  const next = new Map(state[field]);
  if (weights && weights.size > 0) next.set(target.name, new Map(weights));
  else next.delete(target.name);
  return { ok: true, state: Object.freeze({ ...state, [field]: next }) };
}

/** `maps` with every entry passed through `keep` (undefined drops it); the same map if unchanged. */
function prune(
  maps: ReadonlyMap<string, Weights>,
  keep: (name: string, weights: Weights) => Weights | undefined,
): ReadonlyMap<string, Weights> {
  const next = new Map<string, Weights>();
  let changed = false;
  for (const [name, weights] of maps) {
    const kept = keep(name, weights);
    if (kept && kept.size > 0) next.set(name, kept.size === weights.size ? weights : kept);
    changed ||= !kept || kept.size !== weights.size;
  }
  return changed ? next : maps;
}
