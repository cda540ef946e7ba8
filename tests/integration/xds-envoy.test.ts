import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../stack/ports.ts';
import { startUpstream, type TestUpstream } from '../support/http-upstream.ts';
import { sendRequests, startLoad } from '../support/load.ts';
import type { TestStack } from '../support/stack.ts';
import {
  envoyAdmin,
  envoyEndpointWeights,
  envoyStat,
  startAdsEnvoy,
  startXds,
  waitFor,
  type XdsTestServer,
} from '../support/xds.ts';

interface Mesh {
  listenerPort: number;
  upstreams: Record<string, TestUpstream>;
}

const at = (u: TestUpstream | undefined) => `127.0.0.1:${u?.port}`;

/** svc: a, b, c (weighted round robin); x, y, z one endpoint each behind a route-level split. */
function meshYaml(
  m: Mesh,
  extra: { mainCluster?: string; extraListenerPort?: number } = {},
): string {
  const u = m.upstreams;
  const extraListener = extra.extraListenerPort
    ? `  - name: second\n    port: ${extra.extraListenerPort}\n    routes:\n      - name: second-all\n        cluster: svc\n`
    : '';
  // After the switch to svc-b, svc is gone from the file: Envoy must drop it only once the
  // route no longer needs it.
  const clusterA =
    extra.mainCluster === 'svc-b'
      ? ''
      : `  - name: svc\n    endpoints: ["${at(u.a)}", "${at(u.b)}", "${at(u.c)}"]\n    lbPolicy: round_robin\n    policy: adaptive\n`;
  const clusterB =
    extra.mainCluster === 'svc-b'
      ? `  - name: svc-b\n    endpoints: ["${at(u.d)}", "${at(u.e)}"]\n    lbPolicy: round_robin\n`
      : '';
  return `listeners:
  - name: ingress
    port: ${m.listenerPort}
    routes:
      - name: split
        match: { prefix: /split }
        split: [{ cluster: x, weight: 34 }, { cluster: y, weight: 33 }, { cluster: z, weight: 33 }]
      - name: main
        match: { prefix: / }
        cluster: ${extra.mainCluster ?? 'svc'}
${extraListener}clusters:
${clusterA}  - name: x
    endpoints: ["${at(u.x)}"]
  - name: y
    endpoints: ["${at(u.y)}"]
  - name: z
    endpoints: ["${at(u.z)}"]
${clusterB}`;
}

function shares(bodies: Map<string, number>, names: string[]): number[] {
  const total = [...bodies.values()].reduce((a, b) => a + b, 0);
  return names.map((n) => (100 * (bodies.get(n) ?? 0)) / total);
}

const names = ['a', 'b', 'c', 'd', 'e', 'x', 'y', 'z'];

describe.each([
  { mode: 'state of the world', delta: false },
  { mode: 'delta', delta: true },
])('Envoy configured by meshgraph alone over ADS ($mode)', ({ delta }) => {
  let mesh: Mesh;
  let xds: XdsTestServer;
  let envoy: TestStack;

  beforeAll(async () => {
    const upstreams = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, await startUpstream(n)] as const)),
    );
    mesh = { listenerPort: await freePort(), upstreams };
    xds = await startXds(meshYaml(mesh));
    envoy = await startAdsEnvoy(xds, { delta });
  });

  afterAll(async () => {
    await envoy?.stop();
    await xds?.stop();
    await Promise.all(Object.values(mesh?.upstreams ?? {}).map((u) => u.close()));
  });

  it('boots from our server: config_dump shows our listener, routes, clusters and endpoints', async () => {
    const dump = await envoyAdmin<{ configs: Record<string, unknown>[] }>(
      envoy.envoy?.adminPort as number,
      '/config_dump?include_eds',
    );
    const text = JSON.stringify(dump);
    expect(text).toContain('"name":"ingress"');
    expect(text).toContain(`"port_value":${mesh.listenerPort}`);
    expect(text).toContain('"route_config_name":"ingress"');
    for (const cluster of ['svc', 'x', 'y', 'z'])
      expect(text).toContain(`"cluster_name":"${cluster}"`);
    for (const n of ['a', 'b', 'c'])
      expect(text).toContain(`"port_value":${mesh.upstreams[n]?.port}`);
  });

  it('sends traffic to the three upstreams of the cluster', async () => {
    const result = await sendRequests(mesh.listenerPort, 300);
    expect(result.failed).toBe(0);
    expect(new Set(result.bodies.keys())).toEqual(new Set(['a', 'b', 'c']));
  });

  it('applies endpoint weights 80/15/5 set at runtime: the measured split is within ±3 points', async () => {
    const weights = {
      [at(mesh.upstreams.a)]: 80,
      [at(mesh.upstreams.b)]: 15,
      [at(mesh.upstreams.c)]: 5,
    };
    const answer = await xds.admin('PUT', '/v1/clusters/svc/weights', { weights });
    expect(answer.status).toBe(200);
    await waitFor('Envoy to hold the new weights', async () => {
      const held = await envoyEndpointWeights(envoy.envoy?.adminPort as number, 'svc');
      return JSON.stringify(held) === JSON.stringify(weights) || undefined;
    });
    const result = await sendRequests(mesh.listenerPort, 3000);
    expect(result.failed).toBe(0);
    const [a, b, c] = shares(result.bodies, ['a', 'b', 'c']);
    expect(Math.abs((a as number) - 80)).toBeLessThanOrEqual(3);
    expect(Math.abs((b as number) - 15)).toBeLessThanOrEqual(3);
    expect(Math.abs((c as number) - 5)).toBeLessThanOrEqual(3);
  });

  it('applies a route-level split 80/15/5 set at runtime', async () => {
    const answer = await xds.admin('PUT', '/v1/routes/split/split', {
      weights: { x: 80, y: 15, z: 5 },
    });
    expect(answer.status).toBe(200);
    await waitFor('Envoy to take the new split', async () => {
      const dump = JSON.stringify(
        await envoyAdmin(
          envoy.envoy?.adminPort as number,
          '/config_dump?resource=dynamic_route_configs',
        ),
      );
      return /"name":"x","weight":80/.test(dump) || undefined;
    });
    const result = await sendRequests(mesh.listenerPort, 3000, 16, '/split');
    expect(result.failed).toBe(0);
    const [x, y, z] = shares(result.bodies, ['x', 'y', 'z']);
    expect(Math.abs((x as number) - 80)).toBeLessThanOrEqual(3);
    expect(Math.abs((y as number) - 15)).toBeLessThanOrEqual(3);
    expect(Math.abs((z as number) - 5)).toBeLessThanOrEqual(3);
  });
});

describe('xds-server safety with a real Envoy', () => {
  let mesh: Mesh;
  let xds: XdsTestServer;
  let envoy: TestStack;
  let adminPort: number;

  beforeAll(async () => {
    const upstreams = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, await startUpstream(n)] as const)),
    );
    mesh = { listenerPort: await freePort(), upstreams };
    xds = await startXds(meshYaml(mesh));
    envoy = await startAdsEnvoy(xds);
    adminPort = envoy.envoy?.adminPort as number;
  });

  afterAll(async () => {
    await envoy?.stop();
    await xds?.stop();
    await Promise.all(Object.values(mesh?.upstreams ?? {}).map((u) => u.close()));
  });

  it('records a NACK with Envoy’s message, does not re-send the rejected version, and keeps serving', async () => {
    // A port something else holds: valid config, but Envoy cannot bind it and rejects the update.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const blockedPort = (blocker.address() as net.AddressInfo).port;
    try {
      const pushesBefore = await xds.metric('meshgraph_xds_pushes_total', { type: 'lds' });
      xds.writeConfig(meshYaml(mesh, { extraListenerPort: blockedPort }));
      const nack = await waitFor('the NACK to be recorded', async () => {
        const status = (await xds.admin('GET', '/v1/sync-status')).body as {
          nodes: { id: string; types: { lds: { lastNack: { message: string } | null } } }[];
        };
        return status.nodes.find((n) => n.id === 'envoy-test')?.types.lds.lastNack ?? undefined;
      });
      expect(nack.message).toMatch(/Address already in use|cannot bind/);
      expect(await xds.metric('meshgraph_xds_nacks_total', { type: 'lds' })).toBe(1);

      // Something else goes through the same stream (an EDS push and its ACK) before we count:
      // a re-send loop would have shown up in the LDS count by then.
      const weights = {
        [at(mesh.upstreams.a)]: 2,
        [at(mesh.upstreams.b)]: 1,
        [at(mesh.upstreams.c)]: 1,
      };
      expect((await xds.admin('PUT', '/v1/clusters/svc/weights', { weights })).status).toBe(200);
      await waitFor(
        'the EDS push to reach Envoy',
        async () =>
          (await envoyEndpointWeights(adminPort, 'svc'))[at(mesh.upstreams.a)] === 2 || undefined,
      );
      expect(await xds.metric('meshgraph_xds_pushes_total', { type: 'lds' })).toBe(
        pushesBefore + 1,
      );
      expect(await xds.metric('meshgraph_xds_nacks_total', { type: 'lds' })).toBe(1);

      const result = await sendRequests(mesh.listenerPort, 100);
      expect(result.failed).toBe(0);
    } finally {
      blocker.close();
      xds.writeConfig(meshYaml(mesh));
    }
  });

  it('restarts under 200 requests/s with zero failed requests and never an empty endpoint set', async () => {
    const load = startLoad({ port: mesh.listenerPort, rate: 200, maxRequests: 4000 });
    let minMembers = Number.POSITIVE_INFINITY;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const members = await envoyStat(adminPort, 'cluster.svc.membership_total');
        if (members !== undefined) minMembers = Math.min(minMembers, members);
      }
    })();
    await waitFor('traffic to flow', () => (load.result.sent > 200 ? true : undefined));
    await xds.restart();
    await waitFor('Envoy to reconnect', async () => {
      const status = (await xds.admin('GET', '/v1/sync-status')).body as {
        nodes: {
          id: string;
          connected: boolean;
          types: { eds: { ackedVersion: string | null } };
        }[];
      };
      const node = status.nodes.find((n) => n.id === 'envoy-test');
      return (node?.connected && node.types.eds.ackedVersion) || undefined;
    });
    await waitFor('more traffic after the restart', () =>
      load.result.sent > 1400 ? true : undefined,
    );
    const result = await load.stop();
    sampling = false;
    await sampler;
    expect(result.outcomes).toEqual(new Map([['200', result.sent]]));
    expect(minMembers).toBe(3);
  });

  it('switches a route from cluster A to a new cluster B under traffic with zero failed requests', async () => {
    const load = startLoad({ port: mesh.listenerPort, rate: 200, maxRequests: 4000 });
    await waitFor('traffic to flow', () => (load.result.sent > 200 ? true : undefined));
    xds.writeConfig(meshYaml(mesh, { mainCluster: 'svc-b' }));
    await waitFor(
      'traffic to reach cluster B',
      () => (load.result.bodies.get('d') ?? 0) > 50 || undefined,
    );
    const sentAtSwitch = load.result.sent;
    await waitFor('more traffic after the switch', () =>
      load.result.sent > sentAtSwitch + 200 ? true : undefined,
    );
    const result = await load.stop();
    expect(result.failed).toBe(0);
    expect(result.outcomes).toEqual(new Map([['200', result.sent]]));
    expect((result.bodies.get('d') ?? 0) + (result.bodies.get('e') ?? 0)).toBeGreaterThan(100);
    // The old cluster goes only after the route switch was ACKed.
    await waitFor('cluster svc to be removed', async () => {
      const clusters = await envoyAdmin<{ cluster_statuses: { name: string }[] }>(
        adminPort,
        '/clusters?format=json',
      );
      return clusters.cluster_statuses.every((c) => c.name !== 'svc') || undefined;
    });
  });
});
