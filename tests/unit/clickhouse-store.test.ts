import { describe, expect, it } from 'vitest';
import {
  ClickHouseStoreError,
  checkTableName,
  insertFormat,
  openStore,
  parseStoreUrl,
  stringifyRow,
} from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';

describe('parseStoreUrl', () => {
  it('reads chdb:///abs/path as the embedded engine', () => {
    expect(parseStoreUrl('chdb:///var/lib/meshgraph/ch')).toEqual({
      transport: 'embedded',
      dir: '/var/lib/meshgraph/ch',
    });
    expect(parseStoreUrl(' chdb:///tmp/with%20space/ ')).toEqual({
      transport: 'embedded',
      dir: '/tmp/with space',
    });
  });

  it('reads http(s) URLs as a server, database and credentials included', () => {
    for (const url of [
      'http://127.0.0.1:8123',
      'http://h:8123/meshgraph',
      'https://u:p@h:8443/db',
    ]) {
      expect(parseStoreUrl(url)).toEqual({ transport: 'server', url });
    }
  });

  it.each([
    ['', /is empty/],
    [
      '/var/lib/ch',
      /'\/var\/lib\/ch' is not a URL; for the embedded engine write chdb:\/\/\/var\/lib\/ch/,
    ],
    ['data/ch', /'data\/ch' is not a URL/],
    ['chdb://relative/path', /'chdb:\/\/relative\/path' needs an absolute data folder/],
    ['chdb:relative', /needs an absolute data folder/],
    ['chdb:///', /needs an absolute data folder/],
    ['chdb:///tmp/x?mode=ro', /takes no \?query/],
    [
      'htp://127.0.0.1:8123',
      /'htp:\/\/127.0.0.1:8123' has unknown scheme 'htp:'; expected chdb:\/\/\//,
    ],
    ['embedded:/tmp/x', /unknown scheme 'embedded:'/],
    ['localhost:8123', /unknown scheme 'localhost:'/],
    ['http://h:8123/db/extra', /more than one path segment/],
  ])('rejects %j', (url, message) => {
    expect(() => parseStoreUrl(url)).toThrow(message);
  });

  it('never quotes a password back', () => {
    expect(() => parseStoreUrl('ftp://user:secret@h/')).toThrow(/ftp:\/\/user:\*\*\*@h\//);
    expect(() => parseStoreUrl('ftp://user:secret@h/')).not.toThrow(/secret/);
  });

  it('openStore rejects before loading any transport', async () => {
    await expect(openStore('chdb:data', createLogger('test', { level: 'silent' }))).rejects.toThrow(
      /needs an absolute data folder/,
    );
  });
});

describe('store helpers', () => {
  it('wraps a transport error with the transport, the shortened SQL and ClickHouse code', () => {
    const sql = `SELECT\n  ${'x, '.repeat(200)}1`;
    const error = ClickHouseStoreError.wrap(
      'server',
      sql,
      new Error('Code: 62. DB::Exception: Syntax error'),
    );
    expect(error.transport).toBe('server');
    expect(error.code).toBe(62);
    expect(error.clickhouseMessage).toBe('Code: 62. DB::Exception: Syntax error');
    expect(error.sql.startsWith('SELECT x, x,')).toBe(true);
    expect(error.sql.length).toBeLessThanOrEqual(301);
    expect(error.message).toMatch(/^ClickHouse \(server\) failed: Code: 62\. .*\[SQL: SELECT x, /);
  });

  it('accepts only plain table names for inserts', () => {
    expect(() => checkTableName('edges')).not.toThrow();
    expect(() => checkTableName('meshgraph.edge_stats_1m')).not.toThrow();
    expect(() => checkTableName('t; DROP TABLE x')).toThrow(
      /'t; DROP TABLE x' is not a plain table name/,
    );
  });

  it('writes bigint as a quoted number', () => {
    expect(stringifyRow({ id: 2n ** 63n, s: 'a' })).toBe('{"id":"9223372036854775808","s":"a"}');
  });
});

describe('insertFormat', () => {
  it('is JSONEachRow for objects and JSONCompactEachRow for arrays with columns', () => {
    expect(insertFormat([{ a: 1 }], {})).toBe('JSONEachRow');
    expect(insertFormat([[1, 'x']], { columns: ['a', 'b'] })).toBe('JSONCompactEachRow');
    expect(insertFormat([], { columns: ['a'] })).toBe('JSONCompactEachRow');
  });

  it('refuses rows that do not match, and column names that are not plain', () => {
    expect(() => insertFormat([[1]], {})).toThrow(/pass `columns`/);
    expect(() => insertFormat([{ a: 1 }], { columns: ['a'] })).toThrow(/must be an array/);
    expect(() => insertFormat([[1]], { columns: ['a; DROP TABLE t'] })).toThrow(/not a plain/);
    expect(() => insertFormat([[1]], { columns: [] })).toThrow(/empty/);
  });

  it('stringifies plain rows and bigint rows alike', () => {
    expect(stringifyRow([1, 'a', 2n ** 63n])).toBe('[1,"a","9223372036854775808"]');
    expect(stringifyRow({ n: 1, s: 'é\n' })).toBe(JSON.stringify({ n: 1, s: 'é\n' }));
  });
});
