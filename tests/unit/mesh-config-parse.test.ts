import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';

const file = 'mesh.yaml';

/** Every key of the format, set to something other than its default. */
const complete = `# the whole format
listeners:
  - name: ingress
    port: 10000
    address: 0.0.0.0
    routes:
      - name: catalog
        match: { prefix: /catalog, headers: [{ name: x-canary, exact: "1" }] }
        cluster: catalog
        timeout: 5s
        retries: { on: "5xx, reset", attempts: 2, perTryTimeout: 1s, budget: { percent: 12.5, minConcurrency: 5 } }
      - name: checkout
        split: [{ cluster: catalog, weight: 90 }, { cluster: payments, weight: 10 }]
  - name: grpc-clients
    routes:
      - name: grpc-default
        cluster: payments
clusters:
  - name: catalog
    endpoints: ["127.0.0.1:8081", { address: "127.0.0.1:8082", weight: 3 }]
    lbPolicy: least_request
    connectTimeout: 250ms
    policy: adaptive
    http2: true
    outlierDetection: { consecutive5xx: 3, interval: 2m, baseEjectionTime: 1.5s, maxEjectionPercent: 50 }
    circuitBreakers: { maxConnections: 100, maxPendingRequests: 200, maxRequests: 300, maxRetries: 0 }
  - name: payments
    endpoints: [10.0.0.9:9000]
accessLog: { collector: "127.0.0.1:4317", logName: mesh-a }
`;

const expectedComplete: MeshConfig = {
  listeners: [
    {
      name: 'ingress',
      port: 10000,
      address: '0.0.0.0',
      routes: [
        {
          name: 'catalog',
          match: { prefix: '/catalog', headers: [{ name: 'x-canary', exact: '1' }] },
          destination: { kind: 'cluster', cluster: 'catalog' },
          timeoutMs: 5000,
          retries: {
            on: '5xx,reset',
            attempts: 2,
            perTryTimeoutMs: 1000,
            budgetPercent: 12.5,
            minRetryConcurrency: 5,
          },
        },
        {
          name: 'checkout',
          match: { prefix: '/', headers: [] },
          destination: {
            kind: 'split',
            clusters: [
              { cluster: 'catalog', weight: 90 },
              { cluster: 'payments', weight: 10 },
            ],
          },
          timeoutMs: 15000,
        },
      ],
    },
    {
      name: 'grpc-clients',
      address: '127.0.0.1',
      routes: [
        {
          name: 'grpc-default',
          match: { prefix: '/', headers: [] },
          destination: { kind: 'cluster', cluster: 'payments' },
          timeoutMs: 15000,
        },
      ],
    },
  ],
  clusters: [
    {
      name: 'catalog',
      endpoints: [
        { host: '127.0.0.1', port: 8081, weight: 1 },
        { host: '127.0.0.1', port: 8082, weight: 3 },
      ],
      lbPolicy: 'least_request',
      connectTimeoutMs: 250,
      policy: 'adaptive',
      http2: true,
      outlierDetection: {
        consecutive5xx: 3,
        intervalMs: 120000,
        baseEjectionTimeMs: 1500,
        maxEjectionPercent: 50,
      },
      circuitBreakers: {
        maxConnections: 100,
        maxPendingRequests: 200,
        maxRequests: 300,
        maxRetries: 0,
      },
    },
    {
      name: 'payments',
      endpoints: [{ host: '10.0.0.9', port: 9000, weight: 1 }],
      lbPolicy: 'round_robin',
      connectTimeoutMs: 5000,
      policy: 'static',
      http2: false,
    },
  ],
  accessLog: { host: '127.0.0.1', port: 4317, logName: 'mesh-a' },
};

/** A minimal valid mesh; `edits` replace whole lines (1-based), indentation included. */
const minimal = [
  'listeners:',
  '  - name: l',
  '    port: 10000',
  '    routes:',
  '      - name: r',
  '        cluster: c',
  'clusters:',
  '  - name: c',
  '    endpoints: [127.0.0.1:80]',
];
function mesh(edits: Record<number, string> = {}): string {
  return `${minimal.map((line, i) => edits[i + 1] ?? line).join('\n')}\n`;
}

function issues(text: string) {
  const result = parseMeshConfig(text, file);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.errors;
}

/** The single issue `text` must produce. */
function only(text: string, path: string, line: number, reason: string) {
  expect(issues(text)).toEqual([{ file, path, line, reason }]);
}

describe('parseMeshConfig: valid input', () => {
  it('reads every key of the format into the exact typed value', () => {
    expect(parseMeshConfig(complete, file)).toEqual({ ok: true, config: expectedComplete });
  });

  it('fills in the documented defaults', () => {
    const result = parseMeshConfig(
      `${mesh({ 6: '        cluster: c\n        retries: {}' })}    outlierDetection: {}\n    circuitBreakers: {}\n`,
      file,
    );
    expect(result).toEqual({
      ok: true,
      config: {
        listeners: [
          {
            name: 'l',
            port: 10000,
            address: '127.0.0.1',
            routes: [
              {
                name: 'r',
                match: { prefix: '/', headers: [] },
                destination: { kind: 'cluster', cluster: 'c' },
                timeoutMs: 15000,
                retries: {
                  on: '5xx,reset,connect-failure,refused-stream',
                  attempts: 1,
                  budgetPercent: 20,
                  minRetryConcurrency: 3,
                },
              },
            ],
          },
        ],
        clusters: [
          {
            name: 'c',
            endpoints: [{ host: '127.0.0.1', port: 80, weight: 1 }],
            lbPolicy: 'round_robin',
            connectTimeoutMs: 5000,
            policy: 'static',
            http2: false,
            outlierDetection: {
              consecutive5xx: 5,
              intervalMs: 10000,
              baseEjectionTimeMs: 30000,
              maxEjectionPercent: 10,
            },
            circuitBreakers: {},
          },
        ],
      },
    });
  });

  it('accepts the example in the format reference', () => {
    const readme = readFileSync(
      new URL('../../xds-server/mesh-config/README.md', import.meta.url),
      'utf8',
    );
    const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(parseMeshConfig(example, 'README.md')).toMatchObject({ ok: true });
  });

  it('follows YAML anchors and aliases', () => {
    const text = mesh({
      9: '    endpoints: &eps [127.0.0.1:80]\n  - name: d\n    endpoints: *eps',
    });
    const result = parseMeshConfig(text, file);
    expect(result.ok && result.config.clusters[1]?.endpoints).toEqual([
      { host: '127.0.0.1', port: 80, weight: 1 },
    ]);
  });

  it('returns a deeply frozen value', () => {
    const result = parseMeshConfig(complete, file);
    if (!result.ok) throw new Error('expected a valid config');
    const { config } = result;
    const route = config.listeners[0]?.routes[0];
    for (const value of [
      config,
      config.listeners,
      config.listeners[0],
      route,
      route?.match.headers[0],
      route?.retries,
      config.clusters[0]?.endpoints[1],
      config.clusters[0]?.circuitBreakers,
      config.accessLog,
    ]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(() => (config.clusters as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (config.clusters[0] as { policy: string }).policy = 'static';
    }).toThrow(TypeError);
  });
});

const twoClusters = {
  9: '    endpoints: [127.0.0.1:80]\n  - name: d\n    endpoints: [127.0.0.1:81]',
};
const route = (line: string) => ({ 6: `        cluster: c\n        ${line}` });
const routeOnly = (line: string) => ({ 6: `        ${line}`, ...twoClusters });
const cluster = (line: string) => ({ 9: `    endpoints: [127.0.0.1:80]\n    ${line}` });
const endpoints = (list: string) => ({ 9: `    endpoints: ${list}` });
const mapping = 'expected a mapping with listeners and clusters';
const conditions =
  '5xx, gateway-error, reset, reset-before-request, connect-failure, envoy-ratelimited, ' +
  'retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, ' +
  'http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, ' +
  'unavailable';

describe('parseMeshConfig: each rule, broken once', () => {
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
    // Durations.
    [
      'duration without unit',
      mesh(route('timeout: 5')),
      'listeners[0].routes[0].timeout',
      7,
      'expected a duration like 250ms, 1.5s or 2m, got number 5',
    ],
    [
      'duration with a bad unit',
      mesh(route('timeout: 5sec')),
      'listeners[0].routes[0].timeout',
      7,
      "expected a duration like 250ms, 1.5s or 2m (units ms, s, m, h), got '5sec'",
    ],
    [
      'zero duration',
      mesh(route('timeout: 0s')),
      'listeners[0].routes[0].timeout',
      7,
      "duration '0s' must be positive",
    ],
    [
      'sub-millisecond duration',
      mesh(cluster('connectTimeout: 0.5ms')),
      'clusters[0].connectTimeout',
      10,
      "duration '0.5ms' is not a whole number of milliseconds",
    ],
    // Endpoints.
    [
      'endpoint without port',
      mesh(endpoints('[127.0.0.1]')),
      'clusters[0].endpoints[0]',
      9,
      "'127.0.0.1' has no port; expected host:port",
    ],
    [
      'endpoint port out of range',
      mesh(endpoints('[127.0.0.1:70000]')),
      'clusters[0].endpoints[0]',
      9,
      "port '70000' in '127.0.0.1:70000' is not a port number from 1 to 65535",
    ],
    [
      'endpoint with a bad IPv4',
      mesh(endpoints('[256.1.1.1:80]')),
      'clusters[0].endpoints[0]',
      9,
      "'256.1.1.1' is not an IPv4 address (endpoints are sent over EDS, which takes IP addresses only); expected host:port",
    ],
    [
      'endpoint given as a hostname',
      mesh(endpoints('[payments.internal:80]')),
      'clusters[0].endpoints[0]',
      9,
      "'payments.internal' is not an IPv4 address (endpoints are sent over EDS, which takes IP addresses only); expected host:port",
    ],
    [
      'duplicate endpoint',
      mesh(endpoints('[127.0.0.1:80, { address: 127.0.0.1:80, weight: 2 }]')),
      'clusters[0].endpoints[1].address',
      9,
      "endpoint '127.0.0.1:80' is listed twice in this cluster",
    ],
    [
      'endpoint weight 0',
      mesh(endpoints('[{ address: 127.0.0.1:80, weight: 0 }]')),
      'clusters[0].endpoints[0].weight',
      9,
      'expected an integer from 1 to 128, got 0',
    ],
    [
      'endpoint weight 129',
      mesh(endpoints('[{ address: 127.0.0.1:80, weight: 129 }]')),
      'clusters[0].endpoints[0].weight',
      9,
      'expected an integer from 1 to 128, got 129',
    ],
    [
      'fractional endpoint weight',
      mesh(endpoints('[{ address: 127.0.0.1:80, weight: 1.5 }]')),
      'clusters[0].endpoints[0].weight',
      9,
      'expected an integer from 1 to 128, got 1.5',
    ],
    [
      'no endpoints',
      mesh(endpoints('[]')),
      'clusters[0].endpoints',
      9,
      'needs at least 1 endpoint, got 0',
    ],
    // Destinations.
    [
      'route without destination',
      mesh({ 6: '        timeout: 1s' }),
      'listeners[0].routes[0]',
      5,
      "route 'r' needs a destination: give cluster or split",
    ],
    [
      'route with cluster and split',
      mesh({
        ...twoClusters,
        ...route('split: [{ cluster: c, weight: 1 }, { cluster: d, weight: 1 }]'),
      }),
      'listeners[0].routes[0]',
      5,
      "route 'r' gives both cluster and split; keep one",
    ],
    [
      'split of one',
      mesh(routeOnly('split: [{ cluster: c, weight: 1 }]')),
      'listeners[0].routes[0].split',
      6,
      'needs at least 2 clusters, got 1',
    ],
    [
      'negative split weight',
      mesh(routeOnly('split: [{ cluster: c, weight: -1 }, { cluster: d, weight: 1 }]')),
      'listeners[0].routes[0].split[0].weight',
      6,
      'expected an integer from 0 to 4294967295, got -1',
    ],
    [
      'split weights summing to 0',
      mesh(routeOnly('split: [{ cluster: c, weight: 0 }, { cluster: d, weight: 0 }]')),
      'listeners[0].routes[0].split',
      6,
      'split weights sum to 0; at least one must be positive',
    ],
    [
      'cluster twice in a split',
      mesh(routeOnly('split: [{ cluster: c, weight: 1 }, { cluster: c, weight: 2 }]')),
      'listeners[0].routes[0].split[1].cluster',
      6,
      "cluster 'c' appears twice in this split",
    ],
    [
      'unknown cluster in a split',
      mesh(routeOnly('split: [{ cluster: c, weight: 1 }, { cluster: x, weight: 1 }]')),
      'listeners[0].routes[0].split[1].cluster',
      6,
      "route 'r' sends to unknown cluster 'x'; known: c, d",
    ],
    [
      'unknown cluster',
      mesh(routeOnly('cluster: x')),
      'listeners[0].routes[0].cluster',
      6,
      "route 'r' sends to unknown cluster 'x'; known: c, d",
    ],
    // Cluster policies.
    [
      'unknown lbPolicy',
      mesh(cluster('lbPolicy: leastrequest')),
      'clusters[0].lbPolicy',
      10,
      "expected one of round_robin, least_request, random, ring_hash, maglev, got 'leastrequest'",
    ],
    [
      'unknown policy',
      mesh(cluster('policy: dynamic')),
      'clusters[0].policy',
      10,
      "expected one of static, adaptive, got 'dynamic'",
    ],
    [
      'maxEjectionPercent above 100',
      mesh(cluster('outlierDetection: { maxEjectionPercent: 101 }')),
      'clusters[0].outlierDetection.maxEjectionPercent',
      10,
      'expected an integer from 0 to 100, got 101',
    ],
    [
      'zero maxRequests',
      mesh(cluster('circuitBreakers: { maxRequests: 0 }')),
      'clusters[0].circuitBreakers.maxRequests',
      10,
      'expected an integer from 1 to 4294967295, got 0',
    ],
    // Retries.
    [
      '0 retry attempts',
      mesh(route('retries: { attempts: 0 }')),
      'listeners[0].routes[0].retries.attempts',
      7,
      'expected an integer from 1 to 10, got 0',
    ],
    [
      '11 retry attempts',
      mesh(route('retries: { attempts: 11 }')),
      'listeners[0].routes[0].retries.attempts',
      7,
      'expected an integer from 1 to 10, got 11',
    ],
    [
      'unknown retry condition',
      mesh(route('retries: { on: "5xx,gateway_error" }')),
      'listeners[0].routes[0].retries.on',
      7,
      `unknown retry condition 'gateway_error'; known: ${conditions}`,
    ],
    [
      'perTryTimeout beyond the route timeout',
      mesh(route('timeout: 1s\n        retries: { perTryTimeout: 2s }')),
      'listeners[0].routes[0].retries.perTryTimeout',
      8,
      'perTryTimeout 2000ms is longer than the route timeout 1000ms, so it would never fire',
    ],
    [
      'budget above 100%',
      mesh(route('retries: { budget: { percent: 150 } }')),
      'listeners[0].routes[0].retries.budget.percent',
      7,
      'expected a number above 0 and at most 100, got 150',
    ],
    // Matches.
    [
      'prefix without slash',
      mesh(route('match: { prefix: catalog }')),
      'listeners[0].routes[0].match.prefix',
      7,
      "prefix 'catalog' must start with '/'",
    ],
    [
      'bad header name',
      mesh(route('match: { headers: [{ name: x canary, exact: "1" }] }')),
      'listeners[0].routes[0].match.headers[0].name',
      7,
      "'x canary' is not a valid HTTP header name",
    ],
    [
      'unquoted header value',
      mesh(route('match: { headers: [{ name: x-canary, exact: 1 }] }')),
      'listeners[0].routes[0].match.headers[0].exact',
      7,
      'expected a string, got number 1',
    ],
    // Access log.
    [
      'collector without port',
      `${mesh()}accessLog: { collector: collector }\n`,
      'accessLog.collector',
      10,
      "'collector' has no port; expected host:port",
    ],
  ])('%s', (_rule, text, path, line, reason) => {
    only(text, path, line, reason);
  });

  it('names a YAML syntax error by its line', () => {
    expect(issues(mesh({ 6: '\tcluster: c' }))).toEqual([
      { file, path: '', line: 6, reason: 'YAML syntax: Tabs are not allowed as indentation' },
    ]);
  });

  it('reports every problem at once, in file order', () => {
    const text = mesh({
      3: '    port: 0',
      6: '        cluster: x',
      9: '    endpoints: []\n    policy: smart',
    });
    expect(issues(text)).toEqual([
      {
        file,
        path: 'listeners[0].port',
        line: 3,
        reason: 'expected an integer from 1 to 65535, got 0',
      },
      {
        file,
        path: 'listeners[0].routes[0].cluster',
        line: 6,
        reason: "route 'r' sends to unknown cluster 'x'; known: c",
      },
      { file, path: 'clusters[0].endpoints', line: 9, reason: 'needs at least 1 endpoint, got 0' },
      {
        file,
        path: 'clusters[0].policy',
        line: 10,
        reason: "expected one of static, adaptive, got 'smart'",
      },
    ]);
  });
});

describe('formatIssue', () => {
  it('writes file:line: path: reason, leaving out what is unknown', () => {
    expect(formatIssue({ file, path: 'clusters[0].policy', line: 10, reason: 'bad' })).toBe(
      'mesh.yaml:10: clusters[0].policy: bad',
    );
    expect(formatIssue({ file, path: '', line: 1, reason: 'empty' })).toBe('mesh.yaml:1: empty');
    expect(formatIssue({ file, path: '', reason: 'unreadable' })).toBe('mesh.yaml: unreadable');
  });
});
