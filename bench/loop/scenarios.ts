/**
 * What the loop benchmark varies: the fault (scenario) put on one backend, and the arm, i.e. the
 * mesh config the control plane serves. Arms differ in nothing else: the same meshgraph stack,
 * Envoy, backends and arrivals run in every arm.
 */

import type { BackendFault } from './backend.ts';

export interface Scenario {
  readonly name: string;
  readonly about: string;
  /** Put on the faulty backend for the fault phase; undefined = no fault (S0). */
  readonly fault: BackendFault | undefined;
}

export const scenarios: readonly Scenario[] = [
  { name: 'S0', about: 'no fault', fault: undefined },
  { name: 'S1', about: 'one backend 5× slower', fault: { latencyFactor: 5 } },
  { name: 'S2', about: '10% of its requests take 1 s', fault: { slowShare: 0.1, slowMs: 1000 } },
  { name: 'S3', about: 'fails fast: 503 on 50% of requests', fault: { failShare: 0.5 } },
  { name: 'S4', about: 'all its requests take 2 s', fault: { slowShare: 1, slowMs: 2000 } },
];

export interface Arm {
  readonly name: string;
  readonly about: string;
  readonly lbPolicy: 'round_robin' | 'least_request';
  readonly policy: 'static' | 'adaptive';
  /** The mesh config's `outlierDetection` as YAML flow, when on. */
  readonly outlierDetection?: string;
  /** The driver removes the faulty endpoint (weight 0) exactly at fault start, back at recovery. */
  readonly oracle?: boolean;
}

export const arms: readonly Arm[] = [
  { name: 'a', about: 'round_robin', lbPolicy: 'round_robin', policy: 'static' },
  { name: 'b', about: 'least_request', lbPolicy: 'least_request', policy: 'static' },
  {
    name: 'c',
    about: 'least_request + outlier detection (Envoy defaults)',
    lbPolicy: 'least_request',
    policy: 'static',
    outlierDetection: '{}',
  },
  {
    name: 'ct',
    about: 'least_request + outlier detection (tuned: 3 × 5xx, 1 s, eject 5 s, ≤ 20%)',
    lbPolicy: 'least_request',
    policy: 'static',
    // Quick to eject (3 errors in a row), quick to re-check (1 s) and to return (5 s), and
    // allowed to eject one of five endpoints.
    outlierDetection:
      '{ consecutive5xx: 3, interval: 1s, baseEjectionTime: 5s, maxEjectionPercent: 20 }',
  },
  {
    name: 'd',
    about: 'meshgraph (least_request + pushed weights)',
    lbPolicy: 'least_request',
    policy: 'adaptive',
  },
  {
    name: 'e',
    about: 'oracle (faulty endpoint out exactly during the fault)',
    lbPolicy: 'least_request',
    // `adaptive` because only such clusters take runtime weights (the oracle's PUT).
    policy: 'adaptive',
    oracle: true,
  },
];

/** The one cluster every request goes to. */
export const clusterName = 'backends';

/**
 * The mesh config of one run: one listener on `listenerPort` sending everything to the
 * backends with the route's `timeoutMs` (the client's deadline), no retries (so one request
 * is one upstream attempt and the arms compare balancing alone), access logs to meshgraph's
 * collector.
 */
export function meshYaml(options: {
  arm: Arm;
  listenerPort: number;
  endpoints: readonly string[];
  collectorPort: number;
  timeoutMs: number;
}): string {
  const { arm } = options;
  return [
    `# bench/loop arm ${arm.name}: ${arm.about}`,
    'listeners:',
    '  - name: ingress',
    `    port: ${options.listenerPort}`,
    '    routes:',
    '      - name: all',
    `        cluster: ${clusterName}`,
    `        timeout: ${options.timeoutMs}ms`,
    'clusters:',
    `  - name: ${clusterName}`,
    `    endpoints: [${options.endpoints.map((e) => `"${e}"`).join(', ')}]`,
    `    lbPolicy: ${arm.lbPolicy}`,
    `    policy: ${arm.policy}`,
    ...(arm.outlierDetection ? [`    outlierDetection: ${arm.outlierDetection}`] : []),
    `accessLog: { collector: "127.0.0.1:${options.collectorPort}" }`,
    '',
  ].join('\n');
}

/** The named entries of `all`, in `all`'s order; an unknown name throws, listing the known. */
export function pick<T extends { name: string }>(
  all: readonly T[],
  names: readonly string[],
  what: string,
): T[] {
  for (const name of names) {
    if (!all.some((x) => x.name === name))
      throw new Error(`unknown ${what} '${name}' (known: ${all.map((x) => x.name).join(', ')})`);
  }
  return all.filter((x) => names.includes(x.name));
}
