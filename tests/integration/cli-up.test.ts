import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/paths.ts';
import { freePort } from '../../stack/ports.ts';
import { isAlive } from '../../stack/process.ts';

describe('meshgraph up: every component in one process', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-up-'));
  let up: ChildProcess | undefined;
  afterAll(() => {
    if (up?.exitCode === null) up.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts Kafka, the xds-server, collector, rollup job and API, serves, and stops on SIGTERM', async () => {
    const collectorPort = await freePort();
    const config = path.join(dir, 'mesh.yaml');
    writeFileSync(
      config,
      `listeners:\n  - name: ingress\n    port: ${await freePort()}\n    routes:\n      - name: main\n        cluster: web\nclusters:\n  - name: web\n    endpoints: ["127.0.0.1:9"]\naccessLog: { collector: "127.0.0.1:${collectorPort}" }\n`,
    );
    const args = [
      'up',
      '--config',
      config,
      '--clickhouse',
      `chdb://${path.join(dir, 'ch')}`,
      '--run-dir',
      dir,
    ];
    for (const flag of [
      '--xds-port',
      '--xds-admin-port',
      '--collector-admin-port',
      '--jobs-admin-port',
      '--api-port',
    ]) {
      args.push(flag, '0');
    }
    args.push('--collector-port', String(collectorPort));
    up = spawn(process.execPath, [path.join(projectRoot, 'bin/meshgraph.js'), ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => up?.once('exit', resolve));
    const banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      up?.stdout?.on('data', (chunk) => {
        out += chunk;
        if (out.includes('Kafka ')) resolve(out);
      });
      up?.once('exit', (code) => reject(new Error(`meshgraph up exited early with ${code}`)));
    });
    const url = (name: string) =>
      new RegExp(`${name}.*?(http://127\\.0\\.0\\.1:\\d+)`).exec(banner)?.[1];
    for (const name of ['xDS \\(ADS\\)', 'access logs', 'rollup job', 'graph API']) {
      const ready = await fetch(`${url(name)}/readyz`);
      expect(ready.status, name).toBe(200);
    }
    const graph = await (await fetch(`${url('graph API')}/v1/graph`)).json();
    expect(graph).toMatchObject({ nodes: [], edges: [], truncated: false });
    const kafkaPid = Number(/pid (\d+)/.exec(banner)?.[1] ?? Number.NaN);

    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    if (Number.isFinite(kafkaPid)) expect(isAlive(kafkaPid)).toBe(false);
  });
});
