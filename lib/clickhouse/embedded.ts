import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { drainPending, Session } from 'chdb';
import type { Logger } from '../log.ts';
import {
  type ClickHouseStore,
  ClickHouseStoreError,
  checkTableName,
  type InsertOptions,
  type InsertRow,
  insertFormat,
  stringifyRow,
} from './store.ts';

/*
 * chdb sessions, as checked against chdb 3.4.0 (libchdb 26.7):
 * - The engine binds ONE data folder per process. `new Session(b)` while a session on `a` is open
 *   throws ChdbConnectionError "only one active data directory per process; close the current
 *   session (path='a') before opening 'b'". After `close()` + `drainPending()`, `b` opens fine.
 * - A second `new Session(a)` for the same folder succeeds: it is another connection to the same
 *   in-process server and sees the same tables; closing it leaves the first one working.
 * - Async queries, parameterised queries and inserts may run concurrently on one session (chdb
 *   itself serialises the parameterised ones, process-wide) and run on libuv threads, so the
 *   event loop keeps turning.
 * So the registry below keeps one Session per folder, shared by every store opened on it and
 * closed with the last of them, and refuses a second folder with a message that says why.
 */

interface Entry {
  dir: string;
  session: Session;
  stores: number;
}

let current: Entry | undefined;
// The last close of a folder: a new folder may open only once chdb has really let go.
let releasing: Promise<void> = Promise.resolve();

// chdb 26 writes 64-bit integers as bare JSON numbers unless asked; see ClickHouseStore for why not.
const connectionArgs = ['--output_format_json_quote_64bit_integers=1'];

/**
 * A store on the in-process engine keeping its tables under `dir` (created when missing). Opening
 * the folder already open in this process shares its session; another folder is refused.
 */
export async function openEmbeddedStore(dir: string, log: Logger): Promise<ClickHouseStore> {
  const folder = path.resolve(dir);
  await releasing;
  if (current && current.dir !== folder) {
    throw new Error(
      `embedded ClickHouse: this process already has '${current.dir}' open and chdb holds one data folder per process; cannot open '${folder}' (close the stores on '${current.dir}' first, or use a ClickHouse server URL)`,
    );
  }
  if (!current) {
    mkdirSync(folder, { recursive: true });
    try {
      current = { dir: folder, session: new Session(folder, { connectionArgs }), stores: 0 };
    } catch (error) {
      throw ClickHouseStoreError.wrap('embedded', `(open session on ${folder})`, error);
    }
    log.info({ dir: folder }, 'embedded ClickHouse opened');
  }
  const entry = current;
  entry.stores += 1;
  return new EmbeddedStore(entry, log);
}

class EmbeddedStore implements ClickHouseStore {
  readonly transport = 'embedded' as const;
  #closed = false;

  constructor(
    private readonly entry: Entry,
    private readonly log: Logger,
  ) {}

  async command(sql: string, params?: Record<string, unknown>): Promise<void> {
    await this.#run(sql, params);
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const text = await this.#run(sql, params);
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as T);
  }

  async insert(
    table: string,
    rows: readonly InsertRow[],
    options: InsertOptions = {},
  ): Promise<void> {
    checkTableName(table);
    const format = insertFormat(rows, options);
    if (rows.length === 0) return;
    const session = this.#session(`INSERT INTO ${table}`);
    const { deduplicationToken: token, columns } = options;
    try {
      await session.insert({
        table,
        values: Buffer.from(`${rows.map(stringifyRow).join('\n')}\n`),
        format,
        ...(columns !== undefined && { columns }),
        ...(token !== undefined && { settings: { insert_deduplication_token: token } }),
      });
    } catch (error) {
      throw ClickHouseStoreError.wrap('embedded', `INSERT INTO ${table} FORMAT ${format}`, error);
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.query<{ ok: number }>('SELECT 1 AS ok'))[0]?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.entry.stores -= 1;
    if (this.entry.stores > 0 || current !== this.entry) return;
    current = undefined;
    // close() defers the native teardown behind running queries; wait for it, so the next open
    // (of any folder) meets a free engine rather than chdb's "still releasing" refusal.
    this.entry.session.close();
    releasing = drainPending();
    await releasing;
    this.log.info({ dir: this.entry.dir }, 'embedded ClickHouse closed');
  }

  #session(sql: string): Session {
    if (this.#closed) {
      throw ClickHouseStoreError.wrap('embedded', sql, `store on '${this.entry.dir}' is closed`);
    }
    return this.entry.session;
  }

  async #run(sql: string, params?: Record<string, unknown>): Promise<string> {
    const session = this.#session(sql);
    const opts = { format: 'JSONEachRow' };
    try {
      const result = params
        ? await session.queryBindAsync(sql, params, opts)
        : await session.queryAsync(sql, opts);
      return result.text();
    } catch (error) {
      throw ClickHouseStoreError.wrap('embedded', sql, error);
    }
  }
}
