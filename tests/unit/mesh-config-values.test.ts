import { describe, expect, it } from 'vitest';
import {
  cluster,
  conditions,
  endpoints,
  file,
  issues,
  mesh,
  only,
  route,
  routeOnly,
  twoClusters,
} from '../support/mesh-config.ts';

describe('parseMeshConfig: values, references and policies, each broken once', () => {
  it.each([
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
