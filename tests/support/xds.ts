import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { adsBootstrap } from '../../envoy/bootstrap.ts';
import { createLogger } from '../../lib/log.ts';
import { type RunningXdsServer, startXdsServer } from '../../xds-server/start.ts';
import { startTestStack, type TestStack } from './stack.ts';

export const adminToken = 'test-admin-token';
const log = createLogger('test-xds', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

/** Polls `check` (a readiness condition, not a fixed wait) until it returns a value or time is up. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

export interface XdsTestServer {
  readonly dir: string;
  readonly configFile: string;
  server: RunningXdsServer;
  /** Rewrites the mesh config file (the server hot-reloads it). */
  writeConfig(yaml: string): void;
  /** Stops the server and starts a new one on the same gRPC port, as a restart would. */
  restart(): Promise<void>;
  admin(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/**
 * An xds-server in this process on ports picked at run time, serving `yaml`; with `brokers` it
 * follows routing.v1 (the policy job's decisions).
 */
export async function startXds(
  yaml: string,
  options: { brokers?: string[]; decisionExpiryMs?: number } = {},
): Promise<XdsTestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-xds-'));
  const configFile = path.join(dir, 'mesh.yaml');
  writeFileSync(configFile, yaml);
  const start = (grpcAddress: string) =>
    startXdsServer({
      configFile,
      grpcAddress,
      adminPort: 0,
      token: adminToken,
      log,
      ...(options.brokers && { brokers: options.brokers }),
      ...(options.decisionExpiryMs && { decisionExpiryMs: options.decisionExpiryMs }),
    });
  const handle: XdsTestServer = {
    dir,
    configFile,
    server: await start('127.0.0.1:0'),
    writeConfig(text) {
      // Write-then-rename, as editors do: the watcher never reads half a file.
      writeFileSync(`${configFile}.tmp`, text);
      renameSync(`${configFile}.tmp`, configFile);
    },
    async restart() {
      const port = handle.server.grpcPort;
      await handle.server.close();
      handle.server = await start(`127.0.0.1:${port}`);
    },
    async admin(method, route, body) {
      const response = await fetch(`http://127.0.0.1:${handle.server.adminPort}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    async metric(name, labels = {}) {
      const text = await (
        await fetch(`http://127.0.0.1:${handle.server.adminPort}/metrics`)
      ).text();
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith(`${name}{`) || l.startsWith(`${name} `)
            ? wanted.every((w) => l.includes(w))
            : false,
        );
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    },
    async stop() {
      await handle.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** A real Envoy whose only configuration comes from `xds` over ADS (SotW or delta). */
export function startAdsEnvoy(
  xds: XdsTestServer,
  options: { delta?: boolean; nodeId?: string } = {},
): Promise<TestStack> {
  return startTestStack({
    envoy: {
      bootstrap: (ports) =>
        adsBootstrap({
          adminPort: ports.admin as number,
          xdsPort: xds.server.grpcPort,
          delta: options.delta ?? false,
          nodeId: options.nodeId ?? 'envoy-test',
        }),
    },
  });
}

/** Envoy's admin JSON (config_dump with EDS, clusters, stats). */
export async function envoyAdmin<T = unknown>(adminPort: number, route: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${adminPort}${route}`);
  if (!response.ok) throw new Error(`envoy admin ${route}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

interface ClustersJson {
  cluster_statuses: {
    name: string;
    host_statuses?: {
      address: { socket_address: { address: string; port_value: number } };
      weight: number;
    }[];
  }[];
}

/** `host:port` → weight, as Envoy holds it for `cluster` right now. */
export async function envoyEndpointWeights(
  adminPort: number,
  cluster: string,
): Promise<Record<string, number>> {
  const json = await envoyAdmin<ClustersJson>(adminPort, '/clusters?format=json');
  const status = json.cluster_statuses.find((c) => c.name === cluster);
  return Object.fromEntries(
    (status?.host_statuses ?? []).map((h) => [
      `${h.address.socket_address.address}:${h.address.socket_address.port_value}`,
      h.weight,
    ]),
  );
}

/** A stat counter or gauge from Envoy, e.g. `cluster.svc.membership_total`. */
export async function envoyStat(adminPort: number, name: string): Promise<number | undefined> {
  const json = await envoyAdmin<{ stats: { name: string; value?: number }[] }>(
    adminPort,
    `/stats?format=json&filter=${encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`)}`,
  );
  return json.stats.find((s) => s.name === name)?.value;
}
