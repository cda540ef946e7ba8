import { describe, it } from 'vitest';
import { cluster, endpoints, mapping, mesh, only, route } from '../support/mesh-config.ts';

describe('parseMeshConfig: document, keys, types, names and listeners, each broken once', () => {
  it.each([
    // The document as a whole.
    ['empty file', '', '', 1, `the file is empty; ${mapping}`],
    ['comments only', '# nothing yet\n', '', 1, `the file is empty; ${mapping}`],
    ['root not a mapping', '- listeners\n', '', 1, `${mapping} at the top, got a sequence`],
    [
      'duplicate key',
      mesh({ 7: 'clusters: []\nclusters:' }),
      '',
      8,
      'YAML syntax: Map keys must be unique',
    ],
    // Unknown keys, at every level.
    [
      'unknown root key',
      `${mesh()}accesslog: {}\n`,
      'accesslog',
      10,
      "unknown key 'accesslog'; allowed: listeners, clusters, accessLog",
    ],
    [
      'unknown cluster key',
      mesh(cluster('lbpolicy: random')),
      'clusters[0].lbpolicy',
      10,
      "unknown key 'lbpolicy'; allowed: name, endpoints, lbPolicy, connectTimeout, policy, http2, outlierDetection, circuitBreakers",
    ],
    [
      'unknown match key',
      mesh(route('match: { path: /x }')),
      'listeners[0].routes[0].match.path',
      7,
      "unknown key 'path'; allowed: prefix, headers",
    ],
    // Required keys.
    [
      'route without name',
      mesh({ 5: '      - cluster: c', 6: '' }),
      'listeners[0].routes[0]',
      5,
      "missing required key 'name'",
    ],
    [
      'no listeners',
      'clusters:\n  - name: c\n    endpoints: [127.0.0.1:80]\n',
      '',
      1,
      "missing required key 'listeners'",
    ],
    [
      'endpoint without address',
      mesh(endpoints('[{ weight: 2 }]')),
      'clusters[0].endpoints[0]',
      9,
      "missing required key 'address'",
    ],
    // Types.
    [
      'quoted port',
      mesh({ 3: '    port: "10000"' }),
      'listeners[0].port',
      3,
      "expected an integer from 1 to 65535, got string '10000'",
    ],
    [
      'empty value',
      mesh({ 3: '    port:' }),
      'listeners[0].port',
      3,
      'expected an integer from 1 to 65535, got no value',
    ],
    [
      'http2 not boolean',
      mesh(cluster('http2: yes')),
      'clusters[0].http2',
      10,
      "expected true or false, got string 'yes'",
    ],
    [
      'routes not a sequence',
      mesh({ 4: '    routes: { name: r }', 5: '', 6: '' }),
      'listeners[0].routes',
      4,
      'expected a sequence of routes, got a mapping',
    ],
    [
      'entry not a mapping',
      mesh({ 9: '    endpoints: [127.0.0.1:80]\n  - 3' }),
      'clusters[1]',
      10,
      'expected a mapping, got number 3',
    ],
    [
      'empty listener list',
      'listeners: []\nclusters:\n  - name: c\n    endpoints: [127.0.0.1:80]\n',
      'listeners',
      1,
      'needs at least 1 listener, got 0',
    ],
    // Names.
    [
      'name pattern',
      mesh({ 2: '  - name: "l 1"' }),
      'listeners[0].name',
      2,
      "name 'l 1' may only contain letters, digits, '_', '.' and '-'",
    ],
    [
      'duplicate listener',
      mesh({ 6: '        cluster: c\n  - name: l\n    routes: [{ name: r2, cluster: c }]' }),
      'listeners[1].name',
      7,
      "listener name 'l' is already used (line 2)",
    ],
    [
      'route name reused in another listener',
      mesh({ 6: '        cluster: c\n  - name: l2\n    routes: [{ name: r, cluster: c }]' }),
      'listeners[1].routes[0].name',
      8,
      "route name 'r' is already used (line 5)",
    ],
    [
      'duplicate cluster',
      mesh({ 9: '    endpoints: [127.0.0.1:80]\n  - name: c\n    endpoints: [127.0.0.1:81]' }),
      'clusters[1].name',
      10,
      "cluster name 'c' is already used (line 8)",
    ],
    // Listener ports and addresses.
    [
      'port 0',
      mesh({ 3: '    port: 0' }),
      'listeners[0].port',
      3,
      'expected an integer from 1 to 65535, got 0',
    ],
    [
      'port 65536',
      mesh({ 3: '    port: 65536' }),
      'listeners[0].port',
      3,
      'expected an integer from 1 to 65535, got 65536',
    ],
    [
      'duplicate port',
      mesh({
        6: '        cluster: c\n  - name: l2\n    port: 10000\n    routes: [{ name: r2, cluster: c }]',
      }),
      'listeners[1].port',
      8,
      "port 10000 is already used by listener 'l'",
    ],
    [
      'address not an IP',
      mesh({ 3: '    port: 10000\n    address: localhost' }),
      'listeners[0].address',
      4,
      "'localhost' is not an IP address (a listener binds to an IPv4 or IPv6 literal)",
    ],
    [
      'a cluster behind an API listener with a policy gRPC clients cannot balance',
      mesh({
        6: '        cluster: c\n  - name: grpc\n    routes:\n      - name: g\n        cluster: c',
        9: '    endpoints: [127.0.0.1:80]\n    lbPolicy: least_request',
      }),
      'clusters[0].lbPolicy',
      14,
      "'least_request' is not supported by gRPC clients, and cluster 'c' is reached from the API listener 'grpc'; use round_robin or ring_hash",
    ],
    [
      'address without port',
      mesh({ 3: '    address: 0.0.0.0' }),
      'listeners[0].address',
      3,
      'address needs a port (a listener without one is an API listener)',
    ],
  ])('%s', (_rule, text, path, line, reason) => {
    only(text, path, line, reason);
  });
});
