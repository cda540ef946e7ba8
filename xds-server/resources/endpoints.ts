import { HealthStatus } from '../../schemas/gen/envoy/envoy/config/core/v3/health_check.ts';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { type ClusterConfig, endpointKey, type MeshConfig } from '../mesh-config/types.ts';
import type { RoutingState } from '../routing/types.ts';

/**
 * The weight an endpoint runs with: the routing state's when it names the endpoint, else the
 * configured one. 0 means ejected (see {@link buildLoadAssignment}).
 */
export function effectiveEndpointWeight(
  cluster: ClusterConfig,
  endpoint: ClusterConfig['endpoints'][number],
  routing: RoutingState,
): number {
  return routing.endpointWeights.get(cluster.name)?.get(endpointKey(endpoint)) ?? endpoint.weight;
}

/** One ClusterLoadAssignment per configured (EDS) cluster, in config order. */
export function buildLoadAssignments(
  config: MeshConfig,
  routing: RoutingState,
): ClusterLoadAssignment[] {
  return config.clusters.map((cluster) => buildLoadAssignment(cluster, routing));
}

/**
 * Every configured endpoint, in config order, in one locality. Routing state changes weights,
 * never membership: an ejected endpoint (weight 0) stays, marked UNHEALTHY with weight 1
 * (Envoy requires load_balancing_weight ≥ 1), so the cluster never has an empty endpoint set
 * and the endpoint comes back by a weight change alone. Envoy's panic threshold (default 50%)
 * still applies: when most endpoints are UNHEALTHY it balances over all of them again.
 */
export function buildLoadAssignment(
  cluster: ClusterConfig,
  routing: RoutingState,
): ClusterLoadAssignment {
  return ClusterLoadAssignment.fromPartial({
    clusterName: cluster.name,
    endpoints: [
      {
        // Envoy needs neither, gRPC xDS clients both: they reject a LocalityLbEndpoints
        // without a locality and skip one without a weight (leaving no endpoints at all).
        locality: {},
        loadBalancingWeight: 1,
        lbEndpoints: cluster.endpoints.map((endpoint) => {
          const weight = effectiveEndpointWeight(cluster, endpoint, routing);
          return {
            endpoint: {
              address: { socketAddress: { address: endpoint.host, portValue: endpoint.port } },
            },
            // Live endpoints keep UNKNOWN (the default; Envoy treats it as healthy): the control
            // plane speaks about weights, outlier detection about health.
            healthStatus: weight === 0 ? HealthStatus.UNHEALTHY : HealthStatus.UNKNOWN,
            loadBalancingWeight: weight === 0 ? 1 : weight,
          };
        }),
      },
    ],
  });
}
