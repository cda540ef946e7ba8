import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';
import { file, mesh } from '../support/mesh-config.ts';

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

describe('formatIssue', () => {
  it('writes file:line: path: reason, leaving out what is unknown', () => {
    expect(formatIssue({ file, path: 'clusters[0].policy', line: 10, reason: 'bad' })).toBe(
      'mesh.yaml:10: clusters[0].policy: bad',
    );
    expect(formatIssue({ file, path: '', line: 1, reason: 'empty' })).toBe('mesh.yaml:1: empty');
    expect(formatIssue({ file, path: '', reason: 'unreadable' })).toBe('mesh.yaml: unreadable');
  });
});
