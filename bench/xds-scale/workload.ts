/**
 * What the benchmark serves and changes, as pure functions: a mesh of `clusters` adaptive
 * clusters behind one listener (one route each), and the weight map of change `k`.
 */

/** The cluster whose weights every change moves; the others ride along in each SotW EDS push. */
export const changedCluster = 'svc-0';

/** Endpoint `j` of cluster `i`: never dialled (nothing proxies traffic here), so any IP will do. */
export function endpointOf(i: number, j: number): string {
  return `10.0.${i}.${j + 1}:8080`;
}

/** The mesh config YAML (see xds-server/mesh-config/README.md). */
export function meshYaml(clusters: number, endpoints: number): string {
  if (!(clusters >= 1 && clusters <= 255)) throw new RangeError('clusters must be 1..255');
  if (!(endpoints >= 1 && endpoints <= 254)) throw new RangeError('endpoints must be 1..254');
  const ids = Array.from({ length: clusters }, (_, i) => i);
  const routes = ids.map((i) =>
    [
      `      - name: route-${i}`,
      `        match: { prefix: /svc-${i} }`,
      `        cluster: svc-${i}`,
    ].join('\n'),
  );
  const clusterBlocks = ids.map((i) => {
    const list = Array.from({ length: endpoints }, (_, j) => `"${endpointOf(i, j)}"`).join(', ');
    return [`  - name: svc-${i}`, '    policy: adaptive', `    endpoints: [${list}]`].join('\n');
  });
  return [
    'listeners:',
    '  - name: ingress',
    '    port: 10000',
    '    routes:',
    ...routes,
    'clusters:',
    ...clusterBlocks,
    '',
  ].join('\n');
}

/**
 * Change `k` (k ≥ 1) of {@link changedCluster}: endpoint j gets 1 + ((k + j) mod 128), so the
 * first endpoint's weight differs from the previous change's and from the static weight 1 the
 * streams start with (for k < 128), and a client can tell exactly which change it holds.
 */
export function weightsFor(k: number, endpoints: number): [string, number][] {
  return Array.from({ length: endpoints }, (_, j) => [endpointOf(0, j), 1 + ((k + j) % 128)]);
}
