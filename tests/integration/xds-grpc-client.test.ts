import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXds, waitFor, type XdsTestServer } from '../support/xds.ts';

// A gRPC service without protos: raw bytes in and out, the reply names the server that answered.
const echoService: grpc.ServiceDefinition = {
  echo: {
    path: '/meshgraph.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};
const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');

async function startEchoServer(name: string): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(echoService, {
    echo: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) =>
      callback(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, server };
}

function meshYaml(ports: { g1: number; g2: number; g3?: number }): string {
  const g3 = ports.g3
    ? `  - name: g3\n    endpoints: ["127.0.0.1:${ports.g3}"]\n    http2: true\n`
    : '';
  const route = ports.g3
    ? 'cluster: g3'
    : 'split: [{ cluster: g1, weight: 50 }, { cluster: g2, weight: 50 }]';
  return `listeners:
  - name: echo
    routes:
      - name: echo-split
        ${route}
clusters:
${g3}
  - name: g1
    endpoints: ["127.0.0.1:${ports.g1}"]
    http2: true
  - name: g2
    endpoints: ["127.0.0.1:${ports.g2}"]
    http2: true
`;
}

describe('@grpc/grpc-js-xds resolves xds:/// targets through meshgraph', () => {
  let xds: XdsTestServer;
  let servers: { port: number; server: grpc.Server }[];
  let client: grpc.Client;

  const call = (): Promise<string> =>
    new Promise((resolve, reject) =>
      (client as unknown as { echo: (req: Buffer, cb: grpc.requestCallback<Buffer>) => void }).echo(
        Buffer.from('ping'),
        (error, reply) => (error ? reject(error) : resolve(String(reply))),
      ),
    );

  const tally = async (n: number) => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const name = await call();
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  };

  const rdsAcked = async () => {
    const status = (await xds.admin('GET', '/v1/sync-status')).body as {
      nodes: { id: string; types: { rds: { ackedVersion: string | null } } }[];
    };
    return status.nodes.find((n) => n.id === 'grpc-client')?.types.rds.ackedVersion ?? undefined;
  };

  beforeAll(async () => {
    servers = [await startEchoServer('g1'), await startEchoServer('g2')];
    xds = await startXds(
      meshYaml({ g1: servers[0]?.port as number, g2: servers[1]?.port as number }),
    );
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [
        {
          server_uri: `127.0.0.1:${xds.server.grpcPort}`,
          channel_creds: [{ type: 'insecure' }],
          server_features: ['xds_v3'],
        },
      ],
      node: { id: 'grpc-client', cluster: 'meshgraph-test', locality: {} },
    });
    grpcXds.register();
    client = new EchoClient('xds:///echo', grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    for (const { server } of servers ?? []) server.forceShutdown();
    await xds?.stop();
  });

  it('reaches both endpoints of the configured 50/50 split', async () => {
    const counts = await tally(200);
    expect(Object.keys(counts).sort()).toEqual(['g1', 'g2']);
  });

  it('honours a route split of 80/20 set at runtime', async () => {
    const before = await waitFor('the client to ACK routes', rdsAcked);
    const answer = await xds.admin('PUT', '/v1/routes/echo-split/split', {
      weights: { g1: 80, g2: 20 },
    });
    expect(answer.status).toBe(200);
    await waitFor('the client to ACK the new routes', async () => {
      const acked = await rdsAcked();
      return acked !== before ? acked : undefined;
    });
    const counts = await tally(1000);
    expect(Math.abs((counts.g1 ?? 0) / 10 - 80)).toBeLessThanOrEqual(5);
    expect((counts.g1 ?? 0) + (counts.g2 ?? 0)).toBe(1000);
  });

  it('follows a config edit that moves the route to a cluster it has never seen', async () => {
    const g3 = await startEchoServer('g3');
    servers.push(g3);
    const [g1, g2] = servers;
    xds.writeConfig(meshYaml({ g1: g1?.port as number, g2: g2?.port as number, g3: g3.port }));
    await waitFor('RPCs to reach the new cluster', async () =>
      (await call()) === 'g3' ? true : undefined,
    );
    expect(await tally(50)).toEqual({ g3: 50 });
  });
});
