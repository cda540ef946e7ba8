import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/paths.ts';
import { isListening } from '../../stack/ports.ts';
import { isAlive } from '../../stack/process.ts';
import { readState } from '../../stack/state.ts';
import { runCli } from '../support/cli.ts';

const runDirs: string[] = [];
function runDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-stack-'));
  runDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of runDirs) {
    await runCli(['stack', 'down', '--run-dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
  return Date.now() - started;
}

describe('meshgraph stack up | status | down', () => {
  it('starts envoy, kafka and clickhouse, reports them ready with ports, and stops every process', async () => {
    const dir = runDir();
    const up = await runCli(['stack', 'up', '--run-dir', dir]);
    expect(up.stderr.split('\n').filter((l) => l.startsWith('meshgraph:'))).toEqual([]);
    expect(up.code).toBe(0);

    const status = await runCli(['stack', 'status', '--json', '--run-dir', dir]);
    expect(status.code).toBe(0);
    const components = JSON.parse(status.stdout) as Record<
      string,
      { ready: boolean; port: number; pid: number }
    >;
    expect(Object.keys(components).sort()).toEqual(['clickhouse', 'envoy', 'kafka']);
    for (const [name, c] of Object.entries(components)) {
      expect(c.ready, name).toBe(true);
      expect(await isListening(c.port), `${name} listens on ${c.port}`).toBe(true);
      expect(isAlive(c.pid), `${name} pid ${c.pid}`).toBe(true);
    }
    const supervisor = readState(dir)?.supervisorPid as number;

    const down = await runCli(['stack', 'down', '--run-dir', dir]);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('stack stopped\n');
    for (const [name, c] of Object.entries(components))
      expect(isAlive(c.pid), `${name} still running`).toBe(false);
    expect(isAlive(supervisor)).toBe(false);

    const after = await runCli(['stack', 'status', '--json', '--run-dir', dir]);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toEqual({
      envoy: { ready: false, port: null, pid: null },
      kafka: { ready: false, port: null, pid: null },
      clickhouse: { ready: false, port: null, pid: null },
    });
  });

  it('children exit within 10 s when the process that started them is SIGKILLed', async () => {
    const dir = runDir();
    const supervisor: ChildProcess = spawn(
      process.execPath,
      [
        path.join(projectRoot, 'bin', 'meshgraph.js'),
        'stack',
        'up',
        '--foreground',
        '--run-dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    await waitUntil('the stack to be ready', () => readState(dir)?.phase === 'ready', 180_000);
    const pids = Object.values(readState(dir)?.components ?? {}).map((c) => c?.pid as number);
    expect(pids).toHaveLength(3);
    expect(pids.every(isAlive)).toBe(true);

    supervisor.kill('SIGKILL');
    await exited;
    const took = await waitUntil('the children to exit', () => !pids.some(isAlive), 10_000);
    expect(took).toBeLessThan(10_000);
  });

  it('rejects an unknown component with a usage error', async () => {
    const result = await runCli(['stack', 'status', 'redis']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "meshgraph: unknown component 'redis' (expected one of: kafka, clickhouse, envoy)\n",
    );
  });
});
