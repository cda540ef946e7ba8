import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../cli/errors.ts';
import { parseParamPairs, sqlCommand } from '../../cli/sql.ts';
import {
  bindParams,
  DashboardUsageError,
  formatTable,
  listDashboards,
  loadDashboard,
  parseDashboard,
} from '../../lib/clickhouse/dashboards.ts';
import { readMigrations, splitStatements } from '../../lib/clickhouse/migrate.ts';

const sample = `-- Sample board
--
-- What it shows,
-- over two lines.
--
-- @param window 300 seconds back from now()
-- @param cluster '' one cluster ('' = all)
SELECT {window:UInt32} AS w
WHERE {cluster:String} = '' OR c = {cluster:String}
`;

describe('dashboard files', () => {
  it('reads title, description, parameter defaults and types from the header', () => {
    expect(parseDashboard('sample', sample)).toEqual({
      name: 'sample',
      title: 'Sample board',
      description: 'What it shows, over two lines.',
      params: [
        { name: 'window', type: 'UInt32', default: '300', description: 'seconds back from now()' },
        { name: 'cluster', type: 'String', default: '', description: "one cluster ('' = all)" },
      ],
      sql: "SELECT {window:UInt32} AS w\nWHERE {cluster:String} = '' OR c = {cluster:String}",
    });
  });

  it('refuses a placeholder without a default, a default without a placeholder, a bad @param', () => {
    expect(() => parseDashboard('x', '-- X\n-- @param a 1\nSELECT {b:UInt8}')).toThrow(
      "dashboard 'x' needs a title line, '-- @param NAME DEFAULT' for each placeholder and a statement (placeholders without @param: b; @param without placeholder: a)",
    );
    expect(() => parseDashboard('x', '-- X\n-- @param a\nSELECT {a:UInt8}')).toThrow(
      "dashboard 'x': '@param a' is not '@param NAME DEFAULT …'",
    );
    expect(() => parseDashboard('x', '-- X\n-- @param a 1\nSELECT {a:UInt8}, {a:String}')).toThrow(
      "dashboard 'x': {a} is both UInt8 and String",
    );
  });

  it('overlays --param values on the defaults and names the parameters on a wrong one', () => {
    const board = parseDashboard('sample', sample);
    expect(bindParams(board, { window: '60' })).toEqual({ window: '60', cluster: '' });
    expect(() => bindParams(board, { windw: '60' })).toThrow(
      new DashboardUsageError(
        "dashboard 'sample' has no parameter 'windw'; its parameters: window, cluster",
      ),
    );
  });

  it('ships the five dashboards, each with a title, a description and defaults', () => {
    const boards = listDashboards();
    expect(boards.map((b) => [b.name, b.title])).toEqual([
      ['endpoint-latency', 'Endpoint latency over time'],
      ['response-flags', 'Response flags'],
      ['slowest-routes', 'Slowest routes'],
      ['status-mix', 'Status mix'],
      ['top-edges', 'Top edges'],
    ]);
    for (const board of boards) {
      expect(board.description.length, board.name).toBeGreaterThan(40);
      expect(board.params.find((p) => p.name === 'window')?.type, board.name).toBe('UInt32');
      expect(board.sql, board.name).not.toMatch(/^--/);
    }
  });

  it('names the known dashboards when asked for an unknown one', () => {
    expect(() => loadDashboard('top-edge')).toThrow(
      new DashboardUsageError(
        "unknown dashboard 'top-edge'; known: endpoint-latency, response-flags, slowest-routes, status-mix, top-edges",
      ),
    );
  });
});

describe('formatTable', () => {
  it('aligns columns, numbers (also 64-bit ones sent as strings) to the right', () => {
    const rows = [
      { edge: 'frontend→catalog', requests: '2500', p99_ms: 8.52, flags: { UF: '3' }, note: null },
      { edge: 'a→b', requests: '7', p99_ms: 120.5, flags: {}, note: 'slow' },
    ];
    expect(formatTable(rows)).toBe(
      [
        'edge              requests  p99_ms  flags       note',
        '----------------  --------  ------  ----------  ----',
        'frontend→catalog      2500    8.52  {"UF":"3"}  NULL',
        'a→b                      7   120.5  {}          slow',
        '',
      ].join('\n'),
    );
  });

  it('keeps columns in first-seen order across rows and says when there are none', () => {
    expect(formatTable([{ a: 1 }, { b: 'x', a: -2.5e3 }])).toBe(
      '    a  b\n-----  ----\n    1  NULL\n-2500  x\n',
    );
    expect(formatTable([])).toBe('(no rows)\n');
  });
});

describe('migration files', () => {
  it('splits statements at a ; that ends a line, dropping whole-line comments', () => {
    const text =
      "-- header; with a semicolon\nCREATE TABLE a (x UInt8)\nENGINE = Memory;\n\n-- b\nCREATE VIEW v AS SELECT ';' AS s;  \n-- trailing\n";
    expect(splitStatements(text)).toEqual([
      'CREATE TABLE a (x UInt8)\nENGINE = Memory',
      "CREATE VIEW v AS SELECT ';' AS s",
    ]);
    expect(splitStatements('SELECT 1')).toEqual(['SELECT 1']);
  });

  it('orders the shipped migrations by version and refuses a misnamed or duplicate file', () => {
    expect(readMigrations().map((m) => [m.version, m.statements.length])).toEqual([
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 1],
      [6, 1],
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-migrations-'));
    try {
      writeFileSync(path.join(dir, 'README.md'), 'ignored');
      writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
      writeFileSync(path.join(dir, '01_b.sql'), 'SELECT 2;');
      expect(() => readMigrations(dir)).toThrow(
        "migrations '0001_a.sql' and '01_b.sql' share version 01",
      );
      rmSync(path.join(dir, '01_b.sql'));
      writeFileSync(path.join(dir, 'v2.sql'), 'SELECT 3;');
      expect(() => readMigrations(dir)).toThrow(
        `migration file 'v2.sql' in ${dir} is not named NNNN_name.sql (digits, _, letters)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('meshgraph sql (without a store)', () => {
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

  it('lists the dashboards with their defaults, also in --help', async () => {
    const list = await run('--list');
    expect(list).toContain('  top-edges         Top edges [window=300 sort=rate limit=20]\n');
    expect(list).toContain(
      "  endpoint-latency  Endpoint latency over time [window=3600 step=60 cluster='']\n",
    );
    expect(await run()).toBe(list);
    const help: string[] = [];
    const command = sqlCommand()
      .exitOverride()
      .configureOutput({ writeOut: (text) => help.push(text) });
    await expect(command.parseAsync(['--help'], { from: 'user' })).rejects.toThrow();
    expect(help.join('')).toContain('Dashboards:\n  endpoint-latency  Endpoint latency over time');
    const json = JSON.parse(await run('--list', '--json'));
    expect(json[4]).toMatchObject({ name: 'top-edges', title: 'Top edges' });
    expect(json[4].sql).toBeUndefined();
  });

  it('reports unknown dashboards, parameters and URLs as usage errors', async () => {
    await expect(run('top-edge')).rejects.toThrow(
      new UsageError(
        "unknown dashboard 'top-edge'; known: endpoint-latency, response-flags, slowest-routes, status-mix, top-edges",
      ),
    );
    await expect(run('top-edges', '--param', 'limit')).rejects.toThrow(
      new UsageError("--param expects NAME=VALUE, got 'limit'"),
    );
    await expect(run('top-edges', '--param', 'x=1')).rejects.toBeInstanceOf(UsageError);
    await expect(run('top-edges', '--clickhouse', 'chdb://relative')).rejects.toThrow(
      /^--clickhouse: ClickHouse URL 'chdb:\/\/relative' needs an absolute data folder/,
    );
  });

  it('reads NAME=VALUE pairs, keeping = inside values and refusing a repeat', () => {
    expect(parseParamPairs(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parseParamPairs(['a=1', 'a=2'])).toThrow(
      new UsageError('--param a is given twice'),
    );
  });
});
