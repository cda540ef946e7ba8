import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlCommand } from '../../cli/sql.ts';
import { listDashboards, loadDashboard, runDashboard } from '../../lib/clickhouse/dashboards.ts';
import { migrate, migrationsDir, readMigrations } from '../../lib/clickhouse/migrate.ts';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';

const log = createLogger('test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

/*
 * The schema, its rollups and the dashboards on the embedded engine (chdb, ClickHouse 26.x).
 * No modern ClickHouse server is available here: Debian's clickhouse-server is 18.16, which
 * predates DateTime64, query parameters, insert_deduplication_token and DDSketch, so the same
 * checks against a server are left to a deployment with one (`--clickhouse http://…`); the
 * transport itself is covered by clickhouse-server.test.ts.
 */

// A deterministic PRNG, so the latencies (and so the quantiles) are the same on every run.
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const edges = [
  { source: 'frontend', destination: 'catalog', share: 0.5, medianUs: 2_000 },
  { source: 'frontend', destination: 'checkout', share: 0.3, medianUs: 15_000 },
  { source: 'checkout', destination: 'payments', share: 0.2, medianUs: 40_000 },
] as const;
const total = 5_000;
const batchSize = 500;
// Aligned to a 10-second window, so the data and every window's contents are the same each run.
const nowUs = Math.floor(Date.now() / 10_000) * 10_000_000;
const random = mulberry32(42);

// 5,000 requests, 20 ms apart and ending now, over three edges with log-normal latencies;
// every 25th fails with 503 UF,URX, every 40th gets no response (status 0, flag DC).
const rows = Array.from({ length: total }, (_, i) => {
  const edge = i % 10 < 5 ? edges[0] : i % 10 < 8 ? edges[1] : edges[2];
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const status = i % 40 === 0 ? 0 : i % 25 === 0 ? 503 : 200;
  return {
    start_time: nowUs - (total - i) * 20_000,
    source_service: edge.source,
    destination_cluster: edge.destination,
    upstream_endpoint: `10.0.0.${i % 2}:8080`,
    route: `${edge.destination}-route`,
    method: 'GET',
    authority: edge.destination,
    path: `/items/${i}`,
    status,
    response_flags: status === 0 ? 'DC' : status === 503 ? 'UF,URX' : '',
    duration_us: Math.max(1, Math.round(edge.medianUs * Math.exp(0.6 * z))),
    upstream_duration_us: 0,
    request_bytes: 100,
    response_bytes: 1_000 + (i % 7),
    request_id: `req-${i}`,
    node_id: `${edge.source}-envoy`,
    model: '',
    prompt_tokens: 0,
    completion_tokens: 0,
  };
});
const batches = Array.from({ length: total / batchSize }, (_, b) => ({
  rows: rows.slice(b * batchSize, (b + 1) * batchSize),
  token: `access-logs.v2:0:${b * batchSize}-${(b + 1) * batchSize - 1}`,
}));
const rowsOf = (source: string, destination: string) =>
  rows.filter((r) => r.source_service === source && r.destination_cluster === destination);

/**
 * The exact quantile at the rank DDSketch estimates: the element at ⌊level·(n−1)⌋ of the sorted
 * values (numpy's method 'lower'). ClickHouse's quantileExact takes ⌊level·n⌋, one element higher
 * for p99; on a thin tail (1,000 requests) neighbours can be several percent apart, which says
 * nothing about the sketch. ClickHouse's DDSketch is within 1% of this value, as DDSketch promises.
 */
function exactQuantile(values: readonly number[], level: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(level * (sorted.length - 1))] ?? Number.NaN;
}

describe('ClickHouse schema, rollups and dashboards (embedded engine)', () => {
  let dir: string;
  let store: ClickHouseStore;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-schema-'));
    store = await openStore(`chdb://${dir}/data`, log);
  });

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const names = readMigrations().map((m) => m.name);

  it('applies every migration once, even when two runs race, and a re-run applies none', async () => {
    expect(names).toEqual([
      '0001_access_log.sql',
      '0002_edge_stats.sql',
      '0003_endpoint_stats.sql',
      '0004_access_log_offsets.sql',
      '0005_routing_decisions.sql',
      '0006_access_log_source_instance.sql',
    ]);
    const [first, second] = await Promise.all([migrate(store, log), migrate(store, log)]);
    expect(new Set([...first, ...second])).toEqual(new Set(names));
    expect(await migrate(store, log)).toEqual([]);
    const ledger = await store.query<{ version: number; name: string; n: string }>(
      'SELECT version, name, count() AS n FROM schema_migrations GROUP BY version, name ORDER BY version',
    );
    expect(ledger).toEqual(names.map((name, i) => ({ version: i + 1, name, n: '1' })));
    const tables = await store.query<{ name: string }>('SHOW TABLES');
    expect(tables.map((t) => t.name)).toEqual([
      'access_log',
      'edge_stats',
      'edge_stats_mv',
      'endpoint_stats',
      'endpoint_stats_mv',
      'routing_decisions',
      'schema_migrations',
    ]);
  });

  it('keeps raw rows 7 days (rollups 30) and sorts each table by edge, then time', async () => {
    const create = async (table: string) =>
      (await store.query<{ statement: string }>(`SHOW CREATE TABLE ${table}`))[0]?.statement;
    const raw = await create('access_log');
    expect(raw).toContain('TTL toDateTime(start_time) + toIntervalDay(7)');
    expect(raw).toContain('ORDER BY (source_service, destination_cluster, start_time)');
    expect(raw).toContain('non_replicated_deduplication_window = 10000');
    expect(raw).toContain('`source_service` LowCardinality(String)');
    for (const table of ['edge_stats', 'endpoint_stats']) {
      const text = await create(table);
      expect(text).toContain('TTL window_start + toIntervalDay(30)');
      expect(text).toContain('ENGINE = AggregatingMergeTree');
      expect(text).toContain('non_replicated_deduplication_window = 10000');
      expect(text).toContain(
        '`latency_us` AggregateFunction(quantilesDD(0.01, 0.5, 0.9, 0.99, 0.999), Int64)',
      );
    }
  });

  it('refuses an applied migration whose file changed, before applying anything', async () => {
    const copy = path.join(dir, 'migrations');
    cpSync(migrationsDir, copy, { recursive: true });
    const edited = path.join(copy, '0001_access_log.sql');
    appendFileSync(edited, '-- an innocent-looking edit\n');
    writeFileSync(
      path.join(copy, '9999_extra.sql'),
      'CREATE TABLE IF NOT EXISTS extra (x UInt8) ENGINE = Memory;\n',
    );
    const [recorded, now] = [readMigrations()[0], readMigrations(copy)[0]];
    await expect(migrate(store, log, { dir: copy })).rejects.toThrow(
      `migration ${edited} changed after it was applied (recorded sha256 ${recorded?.checksum.slice(0, 12)}…, file now ${now?.checksum.slice(0, 12)}…); applied migrations are append-only: restore the file and put the change in a new migration`,
    );
    expect(await store.query('EXISTS TABLE extra')).toEqual([{ result: 0 }]);
  });

  it('stores 5,000 requests exactly once though a batch is inserted twice', async () => {
    for (const batch of batches) {
      await store.insert('access_log', batch.rows, { deduplicationToken: batch.token });
    }
    // The rollup job crashed after inserting batch 3 but before committing its offsets: replay.
    const replay = batches[3];
    await store.insert('access_log', replay?.rows ?? [], { deduplicationToken: replay?.token });
    const count = (table: string, column: string) =>
      store.query<{ n: string }>(`SELECT ${column} AS n FROM ${table}`);
    expect(await count('access_log', 'count()')).toEqual([{ n: '5000' }]);
    expect(await count('edge_stats', 'sum(requests)')).toEqual([{ n: '5000' }]);
    expect(await count('endpoint_stats', 'sum(requests)')).toEqual([{ n: '5000' }]);
    // The same rows under another token are a new batch (the store cannot tell), so tokens must
    // come from offsets, never from content.
    expect(await count('access_log', 'uniqExact(request_id)')).toEqual([{ n: '5000' }]);
  });

  it('rolls up per edge and per endpoint to the exact counts, statuses, flags and bytes', async () => {
    const perEdge = await store.query<Record<string, unknown>>(`
      SELECT source_service, destination_cluster, sum(requests) AS requests,
        sum(status_2xx) AS ok, sum(status_5xx) AS s5xx, sum(no_response) AS none,
        sumMap(response_flags) AS flags, sum(response_bytes) AS bytes
      FROM edge_stats GROUP BY source_service, destination_cluster ORDER BY requests DESC`);
    expect(perEdge).toEqual(
      edges.map(({ source, destination }) => {
        const own = rowsOf(source, destination);
        const count = (status: number) => String(own.filter((r) => r.status === status).length);
        return {
          source_service: source,
          destination_cluster: destination,
          requests: String(own.length),
          ok: count(200),
          s5xx: count(503),
          none: count(0),
          flags: Object.fromEntries(
            [
              ['DC', count(0)],
              ['UF', count(503)],
              ['URX', count(503)],
            ].filter(([, n]) => n !== '0'),
          ),
          bytes: String(own.reduce((sum, r) => sum + r.response_bytes, 0)),
        };
      }),
    );
    expect(perEdge.map((e) => e.requests)).toEqual(['2500', '1500', '1000']);
    const perEndpoint = await store.query<{ endpoint: string; requests: string }>(`
      SELECT upstream_endpoint AS endpoint, sum(requests) AS requests FROM endpoint_stats
      WHERE destination_cluster = 'catalog' GROUP BY endpoint ORDER BY endpoint`);
    expect(perEndpoint).toEqual([
      { endpoint: '10.0.0.0:8080', requests: '1500' },
      { endpoint: '10.0.0.1:8080', requests: '1000' },
    ]);
  });

  it("re-aggregates any interval: the sketch's p50 and p99 are within 2% of the exact ones", async () => {
    for (const { source, destination } of edges) {
      const durations = rowsOf(source, destination).map((r) => r.duration_us);
      const [merged] = await store.query<{ p50: number; p99: number; exact99: string }>(
        `SELECT quantileDDMerge(0.01, 0.5)(latency_us) AS p50,
           quantileDDMerge(0.01, 0.99)(latency_us) AS p99,
           (SELECT arraySort(groupArray(duration_us))[toUInt64(floor(0.99 * (count() - 1))) + 1]
            FROM access_log
            WHERE source_service = {s:String} AND destination_cluster = {d:String}) AS exact99
         FROM edge_stats WHERE source_service = {s:String} AND destination_cluster = {d:String}`,
        { s: source, d: destination },
      );
      const exact99 = exactQuantile(durations, 0.99);
      expect(Number(merged?.exact99)).toBe(exact99);
      expect(Math.abs((merged?.p99 ?? 0) / exact99 - 1)).toBeLessThan(0.02);
      expect(Math.abs((merged?.p50 ?? 0) / exactQuantile(durations, 0.5) - 1)).toBeLessThan(0.02);
    }
    // An arbitrary interval that cuts no 10-second window: the middle 60 seconds.
    const from = Math.floor((nowUs / 1e6 - 80) / 10) * 10;
    const inside = rows.filter(
      (r) => r.start_time >= from * 1e6 && r.start_time < (from + 60) * 1e6,
    );
    const [slice] = await store.query<{ n: string; p99: number }>(
      `SELECT sum(requests) AS n, quantileDDMerge(0.01, 0.99)(latency_us) AS p99 FROM endpoint_stats
       WHERE window_start >= toDateTime({from:UInt32}) AND window_start < toDateTime({from:UInt32} + 60)`,
      { from },
    );
    expect(slice?.n).toBe(String(inside.length));
    const exact = exactQuantile(
      inside.map((r) => r.duration_us),
      0.99,
    );
    expect(Math.abs((slice?.p99 ?? 0) / exact - 1)).toBeLessThan(0.02);
  });

  const columns: Record<string, string[]> = {
    'endpoint-latency': ['bucket', 'cluster', 'endpoint', 'requests', 'p50_ms', 'p90_ms', 'p99_ms'],
    'response-flags': ['source', 'destination', 'flag', 'requests', 'share_of_edge'],
    'slowest-routes': [
      'route',
      'destination',
      'requests',
      'error_rate',
      'p50_ms',
      'p99_ms',
      'max_ms',
    ],
    'status-mix': ['destination', 'status', 'responses', 'share'],
    'top-edges': ['source', 'destination', 'requests', 'rps', 'error_rate', 'p50_ms', 'p99_ms'],
  };

  it('runs every dashboard on this data with its default parameters', async () => {
    expect(listDashboards().map((d) => d.name)).toEqual(Object.keys(columns));
    for (const dashboard of listDashboards()) {
      const result = await runDashboard(store, dashboard);
      expect(result.length, dashboard.name).toBeGreaterThan(0);
      for (const row of result)
        expect(Object.keys(row), dashboard.name).toEqual(columns[dashboard.name]);
    }
    const top = await runDashboard(store, loadDashboard('top-edges'), { sort: 'p99' });
    expect(top.map((r) => `${r.source}→${r.destination}`)).toEqual([
      'checkout→payments',
      'frontend→checkout',
      'frontend→catalog',
    ]);
    expect(top[0]).toMatchObject({ requests: '1000', rps: 3.33 });
    const mix = await runDashboard(store, loadDashboard('status-mix'));
    expect(mix.filter((r) => r.destination === 'catalog')).toEqual([
      { destination: 'catalog', status: 200, responses: '2300', share: 0.92 },
      { destination: 'catalog', status: 0, responses: '125', share: 0.05 },
      { destination: 'catalog', status: 503, responses: '75', share: 0.03 },
    ]);
  });

  it('meshgraph sql NAME prints a table, --json rows, and refuses a bad parameter', async () => {
    const run = async (...args: string[]) => {
      const chunks: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        chunks.push(String(chunk));
        return true;
      });
      try {
        await sqlCommand().exitOverride().parseAsync(args, { from: 'user' });
      } finally {
        spy.mockRestore();
      }
      return chunks.join('');
    };
    const url = `chdb://${dir}/data`;
    const table = await run('top-edges', '--clickhouse', url, '--param', 'limit=2');
    const lines = table.split('\n');
    expect(lines[0]).toBe('Top edges [window=300 sort=rate limit=2]');
    expect(lines.slice(1, 4)).toEqual([
      '',
      'source    destination  requests   rps  error_rate  p50_ms  p99_ms',
      '--------  -----------  --------  ----  ----------  ------  ------',
    ]);
    // Numbers right-aligned: 5 under 8.33, 0.08 under 0.0667.
    expect(lines[4]).toMatch(/^frontend {2}catalog {10}2500 {2}8\.33 {8}0\.08 {2}/);
    expect(lines[5]).toMatch(/^frontend {2}checkout {9}1500 {5}5 {6}0\.0667 {2}/);
    expect(lines.at(-2)).toBe('(2 rows)');
    const json = JSON.parse(await run('status-mix', '--clickhouse', url, '--json'));
    expect(json).toHaveLength(6);
    await expect(run('top-edges', '--clickhouse', url, '--param', 'sort=fast')).rejects.toThrow(
      /sort must be rate, error_rate or p99/,
    );
    await expect(run('top-edges', '--clickhouse', url, '--param', 'speed=1')).rejects.toThrow(
      "dashboard 'top-edges' has no parameter 'speed'; its parameters: window, sort, limit",
    );
  });
});
