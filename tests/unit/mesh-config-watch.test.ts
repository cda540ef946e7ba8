import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../xds-server/mesh-config/issues.ts';
import {
  loadMeshConfig,
  type MeshConfigWatcher,
  watchMeshConfig,
} from '../../xds-server/mesh-config/load.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';

const log = pino({ level: 'silent' });

/** A valid mesh whose one cluster has a single endpoint on `port`. */
function mesh(port: number): string {
  return [
    'listeners:',
    '  - name: l',
    '    port: 10000',
    '    routes: [{ name: r, cluster: c }]',
    'clusters:',
    '  - name: c',
    `    endpoints: [127.0.0.1:${port}]`,
    '',
  ].join('\n');
}
const invalid = mesh(8080).replace('port: 10000', 'port: 0');

type Event =
  | { kind: 'config'; config: MeshConfig }
  | { kind: 'rejected'; issues: readonly ConfigIssue[] };

/** Callback results in arrival order; `next()` waits for the next one instead of sleeping. */
function recorder() {
  const queued: Event[] = [];
  const waiting: ((event: Event) => void)[] = [];
  const push = (event: Event) => {
    const waiter = waiting.shift();
    if (waiter) waiter(event);
    else queued.push(event);
  };
  return {
    onConfig: (config: MeshConfig) => push({ kind: 'config', config }),
    onRejected: (issues: readonly ConfigIssue[]) => push({ kind: 'rejected', issues }),
    next: (): Promise<Event> => {
      const event = queued.shift();
      return event ? Promise.resolve(event) : new Promise((resolve) => waiting.push(resolve));
    },
    pending: () => queued.length,
  };
}

/** A logger whose records can be awaited by message. */
function logRecorder() {
  const seen: string[] = [];
  const waiting = new Map<string, () => void>();
  const stream = {
    write(line: string) {
      const { msg } = JSON.parse(line) as { msg: string };
      seen.push(msg);
      waiting.get(msg)?.();
    },
  };
  return {
    log: pino({ level: 'info' }, stream),
    waitFor: (msg: string) =>
      seen.includes(msg)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(msg, resolve)),
  };
}

function endpointPort(event: Event): number | undefined {
  return event.kind === 'config' ? event.config.clusters[0]?.endpoints[0]?.port : undefined;
}

let dir: string;
let file: string;
const watchers: MeshConfigWatcher[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mesh-config-'));
  file = path.join(dir, 'mesh.yaml');
});
afterEach(() => {
  for (const watcher of watchers.splice(0)) watcher.close();
  rmSync(dir, { recursive: true, force: true });
});

function watch(events: ReturnType<typeof recorder>, debounceMs = 20): MeshConfigWatcher {
  const watcher = watchMeshConfig(file, { ...events, log, debounceMs });
  watchers.push(watcher);
  return watcher;
}

describe('loadMeshConfig', () => {
  it('reads and parses a file', async () => {
    writeFileSync(file, mesh(8080));
    const result = await loadMeshConfig(file);
    expect(result.ok && result.config.clusters[0]?.endpoints).toEqual([
      { host: '127.0.0.1', port: 8080, weight: 1 },
    ]);
  });

  it('reports a missing file as an issue', async () => {
    expect(await loadMeshConfig(file)).toEqual({
      ok: false,
      errors: [{ file, path: '', reason: 'cannot read the mesh config: the file does not exist' }],
    });
  });
});

describe('watchMeshConfig', { timeout: 10_000 }, () => {
  it('delivers the first read before returning', () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    const watcher = watch(events);
    expect(events.pending()).toBe(1);
    expect(watcher.current()?.clusters[0]?.endpoints[0]?.port).toBe(8080);
  });

  it('passes a valid edit to onConfig', async () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    const watcher = watch(events);
    await events.next();
    writeFileSync(file, mesh(8081));
    const event = await events.next();
    expect(endpointPort(event)).toBe(8081);
    expect(watcher.current()).toBe(event.kind === 'config' && event.config);
  });

  it('rejects an invalid edit and keeps serving the last good config', async () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    const watcher = watch(events);
    const first = watcher.current();
    await events.next();
    writeFileSync(file, invalid);
    expect(await events.next()).toEqual({
      kind: 'rejected',
      issues: [
        {
          file,
          path: 'listeners[0].port',
          line: 3,
          reason: 'expected an integer from 1 to 65535, got 0',
        },
      ],
    });
    expect(watcher.current()).toBe(first);
  });

  it('announces nothing when an invalid edit is undone', async () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    const logged = logRecorder();
    watchers.push(watchMeshConfig(file, { ...events, log: logged.log, debounceMs: 20 }));
    await events.next();
    writeFileSync(file, invalid);
    expect((await events.next()).kind).toBe('rejected');
    writeFileSync(file, mesh(8080));
    await logged.waitFor('mesh config is back to the version being served');
    expect(events.pending()).toBe(0);
  });

  it('picks up an edit saved by writing a temporary file and renaming it over', async () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    const watcher = watch(events);
    await events.next();
    writeFileSync(`${file}.tmp`, mesh(8083));
    renameSync(`${file}.tmp`, file);
    expect(endpointPort(await events.next())).toBe(8083);
    expect(watcher.current()?.clusters[0]?.endpoints[0]?.port).toBe(8083);
  });

  it('reports a missing file, then serves it once it appears', async () => {
    const events = recorder();
    const watcher = watch(events);
    expect(await events.next()).toEqual({
      kind: 'rejected',
      issues: [{ file, path: '', reason: 'cannot read the mesh config: the file does not exist' }],
    });
    expect(watcher.current()).toBeUndefined();
    writeFileSync(file, mesh(8084));
    expect(endpointPort(await events.next())).toBe(8084);
  });

  it('keeps the last good config when the file is deleted', async () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    const watcher = watch(events);
    await events.next();
    rmSync(file);
    const event = await events.next();
    expect(event.kind).toBe('rejected');
    expect(watcher.current()?.clusters[0]?.endpoints[0]?.port).toBe(8080);
  });

  it('survives a callback that throws', async () => {
    writeFileSync(file, mesh(8080));
    const events = recorder();
    let calls = 0;
    const watcher = watchMeshConfig(file, {
      ...events,
      onConfig: (config) => {
        calls += 1;
        events.onConfig(config);
        if (calls === 1) throw new Error('consumer bug');
      },
      log,
      debounceMs: 20,
    });
    watchers.push(watcher);
    await events.next();
    writeFileSync(file, mesh(8085));
    expect(endpointPort(await events.next())).toBe(8085);
  });

  it('stops after close()', async () => {
    writeFileSync(file, mesh(8080));
    const closed = recorder();
    const watcher = watch(closed, 10);
    await closed.next();
    watcher.close();
    // A second watcher with a longer debounce is the witness: by the time it has seen the
    // edit, the closed one (shorter debounce) would have reported it too.
    const witness = recorder();
    watch(witness, 200);
    await witness.next();
    writeFileSync(file, mesh(8086));
    expect(endpointPort(await witness.next())).toBe(8086);
    expect(closed.pending()).toBe(0);
    expect(watcher.current()?.clusters[0]?.endpoints[0]?.port).toBe(8080);
  });
});
