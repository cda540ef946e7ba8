import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../stack/paths.ts';
import { isAlive } from '../../stack/process.ts';
import { waitFor } from '../support/xds.ts';

// `meshgraph demo` as a user runs it: a separate process, its stdout read as it comes. The
// real stack starts inside (Kafka, Envoy, every component), so each case costs ~15 s to start.

const services = ['web', 'catalog', 'cart', 'recommend', 'db', 'cache', 'llm-a', 'llm-b'];

interface Demo {
  child: ChildProcess;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
  dir: string;
}

const started: Demo[] = [];
afterEach(() => {
  for (const demo of started.splice(0)) {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    rmSync(demo.dir, { recursive: true, force: true });
  }
});

function startDemo(args: string[]): Demo {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-demo-'));
  const child = spawn(
    process.execPath,
    [path.join(projectRoot, 'bin', 'meshgraph.js'), 'demo', '--run-dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const demo = { child, stdout: () => out, exited, dir };
  started.push(demo);
  return demo;
}

/** Every process below `pid` now (Kafka's JVM, Envoy, tsx's esbuild service, …). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const below = (p: number): number[] =>
    [...parent].filter(([, pp]) => pp === p).flatMap(([c]) => [c, ...below(c)]);
  return below(pid);
}

/**
 * Kafka and Envoy are stopped (and waited for) before the demo exits; helpers such as tsx's
 * esbuild service exit when their pipe to it closes, a moment after.
 */
async function noneAlive(pids: number[]): Promise<void> {
  await waitFor('every child to exit', () => (pids.some(isAlive) ? undefined : true), 5_000).catch(
    () => {},
  );
  expect(pids.filter(isAlive)).toEqual([]);
}

/** The banner's URLs, once it is printed. */
async function banner(demo: Demo) {
  const text = await waitFor(
    'the demo banner',
    () => {
      if (demo.child.exitCode !== null) throw new Error(`demo exited early:\n${demo.stdout()}`);
      return demo.stdout().includes('what to watch:') ? demo.stdout() : undefined;
    },
    150_000,
  );
  const url = (label: string) => new RegExp(`${label} +(http://\\S+)`).exec(text)?.[1];
  return {
    page: url('live page'),
    dashboards: url('dashboards'),
    api: url('graph API'),
    ingress: url('Envoy'),
    xdsAdmin: url('xds admin'),
  };
}

const zeroPorts = ['--xds-port', '--xds-admin-port', '--collector-port', '--collector-admin-port']
  .concat(['--jobs-admin-port', '--policy-admin-port', '--ingress-port'])
  .flatMap((flag) => [flag, '0']);

describe('meshgraph demo', () => {
  it('runs the fast timeline, serves the demo graph, stops at --duration and leaves no process', async () => {
    const demo = startDemo([
      '--timeline',
      'fast',
      '--duration',
      '65s',
      '--rate',
      '20',
      '--api-port',
      '0',
      ...zeroPorts,
    ]);
    const urls = await banner(demo);
    expect(urls.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.page).toBe(`${urls.api}/ui`);
    expect(urls.dashboards).toBe(`${urls.api}/ui/dashboards`);
    expect(urls.ingress).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/web$/);
    expect(urls.xdsAdmin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const children = descendants(demo.child.pid as number);
    expect(children.length).toBeGreaterThanOrEqual(2); // Kafka and Envoy at least

    expect((await fetch(urls.ingress as string)).status).toBe(200);
    // The graph fills as the first 10-s windows of edge stats arrive; per-endpoint windows can
    // reach the view a fetch after the edge's own.
    const graph = await waitFor(
      'every demo service and catalog’s endpoints in /v1/graph',
      async () => {
        const body = (await (await fetch(`${urls.api}/v1/graph`)).json()) as {
          nodes: { key: string; service: string; kind: string }[];
        };
        const seen = new Set(body.nodes.map((n) => n.service));
        const catalogEndpoints = body.nodes.filter((n) => n.key.startsWith('catalog/')).length;
        return services.every((s) => seen.has(s)) && catalogEndpoints >= 3 ? body : undefined;
      },
      60_000,
    );
    // catalog's three instances are three endpoints of one service.
    expect(graph.nodes.filter((n) => n.key.startsWith('catalog/'))).toHaveLength(3);

    expect(await demo.exited).toBe(0);
    const out = demo.stdout();
    // Timeline events: `+20 s   catalog-2 turns slow (…): watch …` (traffic lines have no colon).
    const events = [...out.matchAll(/^\+(\d+) s +(.*?):/gm)].map(([, at, what]) => ({
      at: Number(at),
      what,
    }));
    expect(events.map((e) => e.what)).toEqual([
      'catalog-2 turns slow (+250 ms per request)',
      'db-3 fails 50% of its requests (503)',
      'catalog-2 and db-3 recover',
    ]);
    // Each at its time, give or take a busy machine (±2 s).
    expect(events.map((e) => Math.round(e.at / 5) * 5)).toEqual([20, 40, 60]);
    expect(out).toContain('--duration 65s reached');
    expect(out).toMatch(/stopping… ok/);
    expect(out).not.toMatch(/^meshgraph: /m);
    await noneAlive(children);
  }, 240_000);

  it('stops everything on SIGINT, and takes a free port when a default one is taken', async () => {
    // Hold the default API port (if nobody else does already): the demo must pick another.
    const holder = net.createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(18080, '127.0.0.1', () => resolve());
    });
    try {
      const demo = startDemo(['--timeline', 'fast', '--rate', '10', ...zeroPorts]);
      const urls = await banner(demo);
      expect(urls.api).not.toBe('http://127.0.0.1:18080');
      expect((await fetch(`${urls.api}/v1/graph`)).status).toBe(200);
      const children = descendants(demo.child.pid as number);
      expect(children.length).toBeGreaterThanOrEqual(2);

      demo.child.kill('SIGINT');
      expect(await demo.exited).toBe(0);
      expect(demo.stdout()).toContain('SIGINT: stopping everything');
      expect(demo.stdout()).toMatch(/stopping… ok/);
      await noneAlive(children);
    } finally {
      holder.close();
    }
  }, 240_000);
});
