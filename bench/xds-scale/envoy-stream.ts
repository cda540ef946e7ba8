/**
 * One simulated Envoy on a state-of-the-world ADS stream, subscribing the way Envoy does: CDS
 * and LDS wildcard; EDS for the EDS clusters CDS named; RDS for the route configs the listeners'
 * HTTP connection managers name. Every response is decoded and ACKed (echo version_info and
 * response_nonce), as Envoy would after applying it. Like Envoy's default
 * (set_node_on_first_message_only: false), every request carries the node.
 */

import type { ClientDuplexStream } from '@grpc/grpc-js';
import {
  Cluster,
  Cluster_DiscoveryType,
} from '../../schemas/gen/envoy/envoy/config/cluster/v3/cluster.ts';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { Listener } from '../../schemas/gen/envoy/envoy/config/listener/v3/listener.ts';
import { HttpConnectionManager } from '../../schemas/gen/envoy/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.ts';
import type { AggregatedDiscoveryServiceClient } from '../../schemas/gen/envoy/envoy/service/discovery/v3/ads.ts';
import {
  DiscoveryRequest,
  type DiscoveryResponse,
} from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { TypeUrl } from '../../xds-server/snapshot/types.ts';
import { now } from './protocol.ts';

export interface EnvoyHooks {
  /** Every type was received and ACKed once: the initial config is applied. */
  synced(): void;
  /** An EDS response, decoded; `at` is when it reached the stream's handler. */
  endpoints(assignments: ClusterLoadAssignment[], at: bigint): void;
  failed(error: Error): void;
}

const hcmSuffix = '.HttpConnectionManager';

/** `endpoint`'s load_balancing_weight in `assignment` (1 when unset, as Envoy reads it). */
export function weightOf(assignment: ClusterLoadAssignment, endpoint: string): number | undefined {
  for (const locality of assignment.endpoints) {
    for (const lb of locality.lbEndpoints) {
      const socket = lb.endpoint?.address?.socketAddress;
      if (socket && `${socket.address}:${socket.portValue}` === endpoint) {
        return lb.loadBalancingWeight ?? 1;
      }
    }
  }
  return undefined;
}

/** The RouteConfiguration names a listener's HTTP connection managers fetch over RDS. */
export function routeNamesOf(listener: Listener): string[] {
  const filters = listener.filterChains.flatMap((chain) => chain.filters);
  const configs = filters.map((f) => f.typedConfig);
  if (listener.apiListener?.apiListener) configs.push(listener.apiListener.apiListener);
  return configs
    .filter((any) => any?.typeUrl.endsWith(hcmSuffix))
    .map((any) => HttpConnectionManager.decode(any?.value ?? new Uint8Array()).rds?.routeConfigName)
    .filter((name): name is string => !!name);
}

export class SimulatedEnvoy {
  readonly #call: ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  readonly #node: { id: string; cluster: string; userAgentName: string };
  readonly #hooks: EnvoyHooks;
  /** Per type: last ACKed version and nonce, and (EDS/RDS) the names subscribed. */
  readonly #state = new Map<string, { version: string; nonce: string; names: string[] }>();
  /** Types received (and ACKed) at least once; all four = synced. */
  readonly #received = new Set<string>();

  constructor(client: AggregatedDiscoveryServiceClient, nodeId: string, hooks: EnvoyHooks) {
    this.#node = { id: nodeId, cluster: 'xds-scale', userAgentName: 'envoy' };
    this.#hooks = hooks;
    this.#call = client.streamAggregatedResources();
    this.#call.on('data', (response: DiscoveryResponse) => this.#onResponse(response, now()));
    this.#call.on('error', (error: Error) => hooks.failed(error));
    this.#call.on('end', () => hooks.failed(new Error(`stream of ${nodeId} ended by the server`)));
    this.#request(TypeUrl.cluster, []);
    this.#request(TypeUrl.listener, []);
  }

  close(): void {
    this.#call.removeAllListeners('error').on('error', () => {});
    this.#call.removeAllListeners('end');
    this.#call.cancel();
  }

  #onResponse(response: DiscoveryResponse, at: bigint): void {
    try {
      const type = response.typeUrl;
      const values = response.resources.map((any) => any.value);
      const names = this.#state.get(type)?.names ?? [];
      this.#state.set(type, { version: response.versionInfo, nonce: response.nonce, names });
      this.#request(type, names); // the ACK
      if (type === TypeUrl.endpoint) {
        this.#hooks.endpoints(
          values.map((v) => ClusterLoadAssignment.decode(v)),
          at,
        );
      } else if (type === TypeUrl.cluster) {
        const eds = values
          .map((v) => Cluster.decode(v))
          .filter((c) => c.type === Cluster_DiscoveryType.EDS)
          .map((c) => c.edsClusterConfig?.serviceName || c.name);
        this.#subscribe(TypeUrl.endpoint, eds);
      } else if (type === TypeUrl.listener) {
        const routes = values.flatMap((v) => routeNamesOf(Listener.decode(v)));
        this.#subscribe(TypeUrl.route, [...new Set(routes)]);
      }
      if (this.#received.size < 4) {
        this.#received.add(type);
        if (this.#received.size === 4) this.#hooks.synced();
      }
    } catch (error) {
      this.#hooks.failed(error as Error);
    }
  }

  /** Changes the names of an EDS/RDS subscription; a request only when they changed. */
  #subscribe(type: string, names: string[]): void {
    const state = this.#state.get(type) ?? { version: '', nonce: '', names: [] };
    const sorted = [...names].sort();
    if (sorted.join('\n') === state.names.join('\n')) return;
    this.#state.set(type, { ...state, names: sorted });
    this.#request(type, sorted);
  }

  #request(type: string, names: string[]): void {
    const state = this.#state.get(type);
    this.#call.write(
      DiscoveryRequest.fromPartial({
        node: this.#node,
        typeUrl: type,
        resourceNames: names,
        versionInfo: state?.version ?? '',
        responseNonce: state?.nonce ?? '',
      }),
    );
  }
}
