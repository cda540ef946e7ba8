import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClickHouseStore,
  ClickHouseStoreError,
  openStore,
} from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';

const log = createLogger('test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

describe('embedded ClickHouse (chdb) store', () => {
  let dir: string;
  let store: ClickHouseStore;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-chdb-'));
    store = await openStore(`chdb://${dir}`, log);
    await store.command(`
      CREATE TABLE IF NOT EXISTS requests (id UInt64, edge LowCardinality(String), at DateTime64(3))
      ENGINE = MergeTree ORDER BY id
      SETTINGS non_replicated_deduplication_window = 100`);
  });

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = Array.from({ length: 10_000 }, (_, i) => ({
    id: i,
    edge: `svc-${i % 7}->db`,
    at: 1_700_000_000_000 + i,
  }));
  const idSum = String((10_000 * 9_999) / 2);

  const totals = () =>
    store.query<{ n: string; ids: string }>('SELECT count() AS n, sum(id) AS ids FROM requests');

  it('drops a replayed insert that carries the same deduplication token', async () => {
    const started = performance.now();
    await store.insert('requests', rows, { deduplicationToken: 'access-logs.v2/0/0-9999' });
    log.info({ ms: Math.round(performance.now() - started), rows: rows.length }, 'chdb insert');
    await store.insert('requests', rows, { deduplicationToken: 'access-logs.v2/0/0-9999' });
    expect(await totals()).toEqual([{ n: '10000', ids: idSum }]);
  });

  it('keeps an insert with a different token', async () => {
    await store.insert('requests', rows.slice(0, 10), {
      deduplicationToken: 'access-logs.v2/1/0-9',
    });
    expect(await totals()).toEqual([{ n: '10010', ids: String(Number(idSum) + 45) }]);
  });

  it('binds parameters server-side: quotes and semicolons come back literally', async () => {
    const nasty = `x'); DROP TABLE requests; --\\ "q" ;`;
    const [row] = await store.query<{ value: string; n: string }>(
      'SELECT {value:String} AS value, count() AS n FROM requests WHERE edge = {value:String}',
      { value: nasty },
    );
    expect(row).toEqual({ value: nasty, n: '0' });
    const [hit] = await store.query<{ n: string }>(
      'SELECT count() AS n FROM requests WHERE edge = {edge:String} AND id < {below:UInt64}',
      { edge: 'svc-3->db', below: 100 },
    );
    // ids 3, 10, …, 94 from the first batch, plus id 3 again from the second.
    expect(hit).toEqual({ n: '15' });
    expect(await store.query('EXISTS TABLE requests')).toEqual([{ result: 1 }]);
  });

  it('raises ClickHouseStoreError carrying ClickHouse message, code and the SQL', async () => {
    const failure = await store.query('SELECT nope FROM requests').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClickHouseStoreError);
    const error = failure as ClickHouseStoreError;
    expect(error.transport).toBe('embedded');
    expect(error.code).toBe(47);
    expect(error.clickhouseMessage).toMatch(/Unknown expression identifier `nope`/);
    expect(error.sql).toBe('SELECT nope FROM requests');
    await expect(store.insert('requests', [{ id: 'not a number' }])).rejects.toThrow(
      /ClickHouse \(embedded\) failed: Code: 27\..*\[SQL: INSERT INTO requests FORMAT JSONEachRow\]/s,
    );
  });

  it('shares one session per folder and refuses a second folder in this process', async () => {
    const again = await openStore(`chdb://${dir}`, log);
    expect(await again.ping()).toBe(true);
    await again.close();
    expect(await store.ping()).toBe(true);
    await expect(openStore(`chdb://${dir}-other`, log)).rejects.toThrow(
      /already has '.*' open and chdb holds one data folder per process; cannot open '.*-other'/,
    );
  });

  it('keeps tables on disk across a close and reopen', async () => {
    await store.close();
    await expect(store.query('SELECT 1')).rejects.toThrow(/is closed/);
    store = await openStore(`chdb://${dir}`, log);
    expect(await totals()).toEqual([{ n: '10010', ids: String(Number(idSum) + 45) }]);
  });
});
