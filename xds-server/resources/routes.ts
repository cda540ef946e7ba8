import { RouteConfiguration } from '../../schemas/gen/envoy/envoy/config/route/v3/route.ts';
import { RouteAction } from '../../schemas/gen/envoy/envoy/config/route/v3/route_components.ts';
import type { MeshConfig, RouteConfig } from '../mesh-config/types.ts';
import type { RoutingState } from '../routing/types.ts';
import { durationMs } from './any.ts';
import { routeConfigName } from './listeners.ts';

/**
 * The clusters a route sends to with their effective weights: the configured split, where
 * every cluster the routing state names takes the state's weight instead (a route-level split
 * from the policy job or an operator). A cluster the state leaves out keeps its configured
 * weight, the same rule as endpoint weights. A single-cluster route yields one entry, weight 1.
 */
export function effectiveSplit(
  route: RouteConfig,
  routing: RoutingState,
): { cluster: string; weight: number }[] {
  const { destination } = route;
  if (destination.kind === 'cluster') return [{ cluster: destination.cluster, weight: 1 }];
  const override = routing.routeSplits.get(route.name);
  return destination.clusters.map(({ cluster, weight }) => ({
    cluster,
    weight: override?.get(cluster) ?? weight,
  }));
}

/**
 * One RouteConfiguration per listener, named after it (the name its HTTP connection manager
 * asks for over RDS): one virtual host matching every domain, routes in config order (Envoy
 * takes the first match, so order is the operator's precedence).
 */
export function buildRouteConfigurations(
  config: MeshConfig,
  routing: RoutingState,
): RouteConfiguration[] {
  return config.listeners.map((listener) =>
    RouteConfiguration.fromPartial({
      name: routeConfigName(listener),
      virtualHosts: [
        {
          name: listener.name,
          domains: ['*'],
          routes: listener.routes.map((route) => ({
            // Envoy reports it as `route_name` in access logs: the collector keys on it.
            name: route.name,
            match: {
              prefix: route.match.prefix,
              headers: route.match.headers.map((header) => ({
                name: header.name,
                stringMatch: { exact: header.exact },
              })),
            },
            route: routeAction(route, routing),
          })),
        },
      ],
    }),
  );
}

function routeAction(route: RouteConfig, routing: RoutingState): RouteAction {
  const retries = route.retries;
  return RouteAction.fromPartial({
    ...(route.destination.kind === 'cluster'
      ? { cluster: route.destination.cluster }
      : {
          // No total_weight: it is deprecated, Envoy sums the weights itself. A weight of 0
          // is legal (that cluster gets no traffic) as long as the sum is positive, which
          // routing/apply.ts guarantees.
          weightedClusters: {
            clusters: effectiveSplit(route, routing).map(({ cluster, weight }) => ({
              name: cluster,
              weight,
            })),
          },
        }),
    timeout: durationMs(route.timeoutMs),
    ...(retries && {
      retryPolicy: {
        retryOn: retries.on,
        // `attempts` counts retries after the first try, exactly Envoy's num_retries.
        numRetries: retries.attempts,
        ...(retries.perTryTimeoutMs !== undefined && {
          perTryTimeout: durationMs(retries.perTryTimeoutMs),
        }),
      },
    }),
  });
}

/**
 * RouteConfiguration name → the clusters its routes may send to (every cluster of a split,
 * even one weighted 0 right now: a weight change must not need a new cluster).
 */
export function routeClusterReferences(config: MeshConfig): Map<string, Set<string>> {
  const references = new Map<string, Set<string>>();
  for (const listener of config.listeners) {
    const clusters = new Set<string>();
    for (const route of listener.routes) {
      const { destination } = route;
      if (destination.kind === 'cluster') clusters.add(destination.cluster);
      else for (const { cluster } of destination.clusters) clusters.add(cluster);
    }
    references.set(routeConfigName(listener), clusters);
  }
  return references;
}
