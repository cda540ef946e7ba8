import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/paths.ts';
import { runCli } from '../support/cli.ts';

const yaml = `listeners:
  - name: ingress
    port: 10000
    routes:
      - name: main
        cluster: web
clusters:
  - name: web
    policy: adaptive
    endpoints: ["10.0.0.1:80", "10.0.0.2:80"]
`;

describe('meshgraph xds and meshgraph weights', () => {
  let dir: string;
  let server: ChildProcess;
  let admin: string;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-cli-xds-'));
    writeFileSync(path.join(dir, 'mesh.yaml'), yaml);
    server = spawn(
      process.execPath,
      [
        path.join(projectRoot, 'bin/meshgraph.js'),
        'xds',
        '--config',
        path.join(dir, 'mesh.yaml'),
        '--grpc',
        '127.0.0.1:0',
        '--admin-port',
        '0',
        '--token',
        't0ken',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    exited = new Promise((resolve) => server.once('exit', resolve));
    admin = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout?.on('data', (chunk) => {
        out += chunk;
        const match = /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      server.once('exit', (code) => reject(new Error(`meshgraph xds exited early with ${code}`)));
    });
  });

  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets weights through the admin API and shows them', async () => {
    const set = await runCli([
      'weights',
      'set',
      'web',
      '10.0.0.1:80=80',
      '10.0.0.2:80=20',
      '--admin',
      admin,
      '--token',
      't0ken',
    ]);
    expect(set.code).toBe(0);
    const expected = {
      endpointWeights: { web: { '10.0.0.1:80': 80, '10.0.0.2:80': 20 } },
      routeSplits: {},
    };
    expect(JSON.parse(set.stdout)).toEqual(expected);
    const show = await runCli(['weights', 'show', '--admin', admin]);
    expect(JSON.parse(show.stdout)).toEqual(expected);
  });

  it('prints the server’s error code and message on a refused change', async () => {
    const wrong = await runCli([
      'weights',
      'set',
      'web',
      '10.0.0.1:80=1',
      '--admin',
      admin,
      '--token',
      'nope',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('meshgraph: UNAUTHORIZED: wrong bearer token\n');
    const unknown = await runCli([
      'weights',
      'set',
      'shop',
      '10.0.0.1:80=1',
      '--admin',
      admin,
      '--token',
      't0ken',
    ]);
    expect(unknown.stderr).toBe(
      'meshgraph: UNKNOWN_CLUSTER: unknown cluster "shop"; known clusters: "web"\n',
    );
  });

  it('rejects a malformed weight before calling the server', async () => {
    const bad = await runCli(['weights', 'set', 'web', '10.0.0.1:80=heavy', '--admin', admin]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "meshgraph: expected NAME=WEIGHT with WEIGHT an integer 0..128, got '10.0.0.1:80=heavy'\n",
    );
  });

  it('stops cleanly on SIGTERM', async () => {
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses to start on an invalid mesh config, listing every issue', async () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(
      file,
      yaml.replace('port: 10000', 'port: 70000').replace('cluster: web', 'cluster: shop'),
    );
    const result = await runCli([
      'xds',
      '--config',
      file,
      '--grpc',
      '127.0.0.1:0',
      '--admin-port',
      '0',
    ]);
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((l) => !l.startsWith('{') && l !== '');
    expect(lines[0]).toBe('meshgraph: invalid mesh config:');
    expect(lines.slice(1)).toEqual([
      `${file}:3: listeners[0].port: expected an integer from 1 to 65535, got 70000`,
      `${file}:6: listeners[0].routes[0].cluster: route 'main' sends to unknown cluster 'shop'; known: web`,
    ]);
  });
});
