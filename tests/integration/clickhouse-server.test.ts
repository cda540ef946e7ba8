import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClickHouseStore,
  ClickHouseStoreError,
  openStore,
} from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';
import { clickhouseServerDriver } from '../../stack/clickhouse.ts';
import { launch, type RunningComponent } from '../../stack/process.ts';

const log = createLogger('test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

/*
 * Debian's clickhouse-server is 18.16 (2018), so this file checks only the transport subset it
 * shares with a current server: ping, CREATE TABLE, INSERT … FORMAT JSONEachRow, SELECT. It
 * rejects query parameters (the client sends them as `param_<name>` settings: "Unknown setting
 * param_x", code 115), `insert_deduplication_token` (also code 115), modern types such as
 * DateTime64 (code 50) and the MergeTree setting `non_replicated_deduplication_window` (code 36).
 * The full dialect is covered on the embedded engine, which runs ClickHouse 26.x.
 */
describe('ClickHouse server store against Debian clickhouse-server 18.16', () => {
  let dir: string;
  let server: RunningComponent;
  let store: ClickHouseStore;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-chserver-'));
    server = await launch(clickhouseServerDriver(), dir, { log });
    store = await openStore(`http://127.0.0.1:${server.plan.port}`, log);
  });

  afterAll(async () => {
    await store?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the server binary itself, on loopback ports picked at run time', () => {
    expect(readFileSync(`/proc/${server.pid}/comm`, 'utf8').trim()).toBe('clickhouse-serv');
    expect(server.plan.endpoints).toEqual({ http: server.plan.port, tcp: expect.any(Number) });
  });

  it('pings', async () => {
    expect(store.transport).toBe('server');
    expect(await store.ping()).toBe(true);
  });

  it('creates a table, inserts JSONEachRow and selects it back', async () => {
    await store.command(
      'CREATE TABLE IF NOT EXISTS edges (id UInt64, edge String, p99 Float64) ENGINE = MergeTree ORDER BY id',
    );
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: i,
      edge: `a'b;${i % 3}`,
      p99: i / 4,
    }));
    await store.insert('edges', rows);
    expect(await store.query('SELECT count() AS n, sum(id) AS ids FROM edges')).toEqual([
      { n: '1000', ids: '499500' },
    ]);
    const [first] = await store.query<{ id: string; edge: string; p99: number }>(
      'SELECT id, edge, p99 FROM edges ORDER BY id DESC LIMIT 1',
    );
    expect(first).toEqual({ id: '999', edge: "a'b;0", p99: 249.75 });
  });

  it('refuses query parameters with a clear error, not a wrong result', async () => {
    const failure = await store
      .query('SELECT count() AS n FROM edges WHERE id = {id:UInt64}', { id: 1 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClickHouseStoreError);
    expect((failure as ClickHouseStoreError).code).toBe(115);
    expect((failure as Error).message).toMatch(
      /Unknown setting param_id.*predates query parameters \{name:Type\}; they need ClickHouse 19\.x or later/s,
    );
  });

  it('refuses what 18.16 does not know: dedup tokens and modern types', async () => {
    await expect(store.insert('edges', [{ id: 1 }], { deduplicationToken: 't' })).rejects.toThrow(
      /Unknown setting insert_deduplication_token/,
    );
    await expect(
      store.command('CREATE TABLE modern (at DateTime64(3)) ENGINE = MergeTree ORDER BY at'),
    ).rejects.toThrow(/Unknown data type family: DateTime64/);
  });

  it('wraps a bad query with the server message, code and SQL', async () => {
    const failure = await store.query('SELEC 1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClickHouseStoreError);
    const error = failure as ClickHouseStoreError;
    expect(error).toMatchObject({ transport: 'server', code: 62, sql: 'SELEC 1' });
    expect(error.clickhouseMessage).toMatch(/Syntax error/);
  });
});
