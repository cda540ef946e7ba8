import path from 'node:path';
import type { Logger } from '../log.ts';

export type Transport = 'embedded' | 'server';

/**
 * The one door to ClickHouse for every meshgraph component, whichever engine is behind it.
 *
 * - Parameters are ClickHouse's own `{name:Type}` placeholders, bound by the engine, never spliced
 *   into the SQL text. (ClickHouse 18.16 predates them and rejects any query that has params.)
 * - Results are JSONEachRow rows. 64-bit integers (count(), sum() of integers, UInt64 columns)
 *   arrive as strings on both transports, because a JS number cannot hold them exactly; convert
 *   with `Number()` or `BigInt()` where the value is known to fit.
 * - `sql` must not carry its own FORMAT clause: the transport picks JSONEachRow.
 * - Every failure is a {@link ClickHouseStoreError}.
 */
export interface ClickHouseStore {
  readonly transport: Transport;
  /** DDL and other statements whose result is not read. */
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /**
   * Inserts rows as JSONEachRow (objects keyed by column), or, with `options.columns`, as
   * JSONCompactEachRow (each row an array of values in that column order); an empty `rows` sends
   * nothing.
   */
  insert(table: string, rows: readonly InsertRow[], options?: InsertOptions): Promise<void>;
  /** True when the engine answers; never throws. */
  ping(): Promise<boolean>;
  /** Releases the connection (embedded: the data folder once its last store closes); idempotent. */
  close(): Promise<void>;
}

/**
 * Options for {@link ClickHouseStore.insert}.
 * - `deduplicationToken` (string, default none): sent as `insert_deduplication_token`; a second
 *   insert with the same token into the same table is dropped by the engine. The table needs
 *   `non_replicated_deduplication_window` (MergeTree) for it to take effect.
 */
export interface InsertOptions {
  deduplicationToken?: string;
  /**
   * Columns the rows fill, in order (default none: rows are objects keyed by column name). When
   * set, every row must be an array of that many values and the rows go as JSONCompactEachRow:
   * no column name repeated per row, so fewer bytes to build in JS and to parse in the engine.
   * Columns left out take their defaults, as with JSONEachRow.
   */
  columns?: readonly string[];
}

/** One row for {@link ClickHouseStore.insert}: an object by column name, or an array of values. */
export type InsertRow = Readonly<Record<string, unknown>> | readonly unknown[];

/** The insert format `options` imply; checks the column names (written into the INSERT text). */
export function insertFormat(
  rows: readonly InsertRow[],
  options: InsertOptions,
): 'JSONEachRow' | 'JSONCompactEachRow' {
  const { columns } = options;
  const compact = columns !== undefined;
  if (compact) {
    if (columns.length === 0) throw new Error('insert: `columns` is empty');
    for (const column of columns)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column))
        throw new Error(`insert: column '${column}' is not a plain name (letters, digits, _)`);
  }
  for (const row of rows) {
    if (Array.isArray(row) !== compact)
      throw new Error(
        compact
          ? 'insert: with `columns`, every row must be an array of values in column order'
          : 'insert: a row is an array; pass `columns` to say which columns it fills',
      );
  }
  return compact ? 'JSONCompactEachRow' : 'JSONEachRow';
}

const sqlShown = 300;

/** A statement ClickHouse (or the transport in front of it) refused. */
export class ClickHouseStoreError extends Error {
  override name = 'ClickHouseStoreError';
  /** ClickHouse's error code (e.g. 62 for a syntax error) when the message carries one. */
  readonly code: number | undefined;

  constructor(
    readonly transport: Transport,
    /** The failing statement, whitespace collapsed and cut to 300 characters. */
    readonly sql: string,
    readonly clickhouseMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`ClickHouse (${transport}) failed: ${clickhouseMessage} [SQL: ${sql}]`, options);
    const code = /Code: (\d+)/.exec(clickhouseMessage)?.[1];
    this.code = code === undefined ? undefined : Number(code);
  }

  /** Wraps whatever a transport threw, keeping it as `cause`. */
  static wrap(transport: Transport, sql: string, error: unknown): ClickHouseStoreError {
    if (error instanceof ClickHouseStoreError) return error;
    const message = (error instanceof Error ? error.message : String(error)).trim();
    const compact = sql.replace(/\s+/g, ' ').trim();
    const shown = compact.length > sqlShown ? `${compact.slice(0, sqlShown)}…` : compact;
    return new ClickHouseStoreError(transport, shown, message, { cause: error });
  }
}

/** `db.table` or `table`, plain identifiers only: the name is written into the INSERT text. */
export function checkTableName(table: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table)) {
    throw new Error(
      `insert: '${table}' is not a plain table name ([db.]name of letters, digits, _)`,
    );
  }
}

const bigintAsString = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? value.toString() : value;

/**
 * JSON for JSONEachRow / JSONCompactEachRow: bigint as a quoted number, which ClickHouse parses
 * into any Int/UInt. Plain JSON.stringify first (several times faster than with a replacer, which
 * runs for every value); only a row holding a bigint (which plain JSON refuses) takes the replacer.
 */
export function stringifyRow(row: unknown): string {
  try {
    return JSON.stringify(row);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(row, bigintAsString);
  }
}

export type StoreTarget =
  | { transport: 'embedded'; dir: string }
  | { transport: 'server'; url: string };

const expected =
  'expected chdb:///absolute/path (embedded engine) or http(s)://host:port[/database] (server)';

/**
 * Reads a store URL. The embedded engine is `chdb:///absolute/data/folder` (three slashes: no
 * host, then an absolute path; %-escapes decoded); a server is `http(s)://[user:pass@]host:port`
 * with an optional `/database`. Pure, so the CLI can reject a bad value before starting anything.
 */
export function parseStoreUrl(value: string): StoreTarget {
  const text = value.trim();
  if (text === '') throw new Error(`ClickHouse URL is empty; ${expected}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const hint = path.isAbsolute(text) ? `; for the embedded engine write chdb://${text}` : '';
    throw new Error(`ClickHouse URL '${text}' is not a URL${hint}; ${expected}`);
  }
  const shown = redact(url);
  if (url.protocol === 'chdb:') {
    if (url.host !== '' || !url.pathname.startsWith('/') || url.pathname === '/') {
      throw new Error(
        `ClickHouse URL '${shown}' needs an absolute data folder after chdb:// (three slashes, e.g. chdb:///var/lib/meshgraph)`,
      );
    }
    if (url.search !== '' || url.hash !== '') {
      throw new Error(`ClickHouse URL '${shown}' takes no ?query or #fragment`);
    }
    return { transport: 'embedded', dir: path.resolve(decodeURIComponent(url.pathname)) };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    if (url.hostname === '') throw new Error(`ClickHouse URL '${shown}' has no host; ${expected}`);
    if (url.pathname.split('/').filter(Boolean).length > 1) {
      throw new Error(
        `ClickHouse URL '${shown}' has more than one path segment; the path is the database name`,
      );
    }
    return { transport: 'server', url: text };
  }
  throw new Error(`ClickHouse URL '${shown}' has unknown scheme '${url.protocol}'; ${expected}`);
}

/** The URL with any password replaced, so it can be quoted in errors and logs. */
export function redact(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/**
 * Opens a store for `url` (see {@link parseStoreUrl}). Each transport is loaded only when used,
 * so a server deployment never maps the ~550 MB embedded engine.
 */
export async function openStore(url: string, log: Logger): Promise<ClickHouseStore> {
  const target = parseStoreUrl(url);
  if (target.transport === 'embedded') {
    const { openEmbeddedStore } = await import('./embedded.ts');
    return openEmbeddedStore(target.dir, log);
  }
  const { openServerStore } = await import('./server.ts');
  return openServerStore(target.url, log);
}
