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
