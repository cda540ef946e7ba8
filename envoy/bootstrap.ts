/**
 * Envoy bootstrap templates as typed values (written as JSON, which Envoy reads like YAML).
 * Ports are always parameters: every Envoy we start binds what the caller chose at run time.
 */

export interface Upstream {
  host: string;
  port: number;
}

/** Just the admin interface on 127.0.0.1: an Envoy that is up and waits for configuration. */
export function adminBootstrap(
  adminPort: number,
  nodeId = 'meshgraph-stack',
): Record<string, unknown> {
  return {
    node: { id: nodeId, cluster: 'meshgraph' },
    admin: { address: socketAddress(adminPort) },
  };
}

/**
 * A self-contained proxy: one HTTP listener routing every path to one round-robin cluster of
 * static upstreams. Used by smoke tests and as the simplest thing that proves Envoy proxies.
 */
export function staticProxyBootstrap(options: {
  adminPort: number;
  listenerPort: number;
  upstreams: readonly Upstream[];
  clusterName?: string;
}): Record<string, unknown> {
  const cluster = options.clusterName ?? 'upstream';
  return {
    ...adminBootstrap(options.adminPort),
    static_resources: {
      listeners: [
        {
          name: 'ingress',
          address: socketAddress(options.listenerPort),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'ingress',
                    route_config: {
                      name: 'ingress',
                      virtual_hosts: [
                        {
                          name: 'all',
                          domains: ['*'],
                          routes: [{ match: { prefix: '/' }, route: { cluster } }],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: {
                          '@type':
                            'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: cluster,
          type: 'STATIC',
          connect_timeout: '1s',
          lb_policy: 'ROUND_ROBIN',
          load_assignment: {
            cluster_name: cluster,
            endpoints: [
              {
                lb_endpoints: options.upstreams.map((upstream) => ({
                  endpoint: {
                    address: {
                      socket_address: { address: upstream.host, port_value: upstream.port },
                    },
                  },
                })),
              },
            ],
          },
        },
      ],
    },
  };
}

function socketAddress(port: number): Record<string, unknown> {
  return { socket_address: { address: '127.0.0.1', port_value: port } };
}

/**
 * Options for {@link adsBootstrap}.
 * - `adminPort` (number): Envoy's admin interface on 127.0.0.1.
 * - `xdsPort` (number): the meshgraph xds-server's gRPC port on `xdsHost`.
 * - `xdsHost` (string, default `127.0.0.1`).
 * - `nodeId` (string, default `meshgraph-envoy`), `nodeCluster` (string, default `meshgraph`):
 *   how this Envoy introduces itself; the xds-server groups nodes by cluster.
 * - `delta` (boolean, default false): incremental xDS (DELTA_GRPC) instead of state of the world.
 * - `metadata` (object, default none): node metadata, e.g. `{ service: 'web' }` so access logs
 *   name the calling service.
 */
export interface AdsBootstrapOptions {
  adminPort: number;
  xdsPort: number;
  xdsHost?: string;
  nodeId?: string;
  nodeCluster?: string;
  delta?: boolean;
  metadata?: Record<string, string>;
}

/** The name of the one static cluster an xDS-driven Envoy needs: the way to its control plane. */
export const xdsClusterName = 'meshgraph_xds';

/**
 * An Envoy that takes everything (listeners, routes, clusters, endpoints) from meshgraph's ADS
 * server. Only the cluster pointing at the control plane is static.
 */
export function adsBootstrap(options: AdsBootstrapOptions): Record<string, unknown> {
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: {
      id: options.nodeId ?? 'meshgraph-envoy',
      cluster: options.nodeCluster ?? 'meshgraph',
      ...(options.metadata && { metadata: options.metadata }),
    },
    admin: { address: socketAddress(options.adminPort) },
    dynamic_resources: {
      ads_config: {
        api_type: options.delta ? 'DELTA_GRPC' : 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [
          {
            envoy_grpc: {
              cluster_name: xdsClusterName,
              // Reconnect fast after a control-plane restart; Envoy keeps serving meanwhile.
              retry_policy: { retry_back_off: { base_interval: '0.1s', max_interval: '1s' } },
            },
          },
        ],
      },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      clusters: [
        {
          name: xdsClusterName,
          type: 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: xdsClusterName,
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: {
                      address: {
                        socket_address: {
                          address: options.xdsHost ?? '127.0.0.1',
                          port_value: options.xdsPort,
                        },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
  };
}
