import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type Logger as ClientLogger,
  createClient,
  type ErrorLogParams,
  type LogParams,
} from '@clickhouse/client';
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

/**
 * A store on a ClickHouse server over HTTP. `url` is `http(s)://[user:pass@]host:port[/database]`
 * as @clickhouse/client reads it. Nothing is sent until the first call; use `ping()` to check.
 */
export function openServerStore(url: string, log: Logger): ClickHouseStore {
  const client = createClient({
    url,
    // Same JSON on both transports: 64-bit integers as strings. 18.16 does that by default, recent
    // servers do not, so ask.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    json: { parse: JSON.parse, stringify: stringifyRow },
    log: { LoggerClass: clientLogger(log), level: ClickHouseLogLevel.WARN },
  });
  return new ServerStore(client);
}

class ServerStore implements ClickHouseStore {
  readonly transport = 'server' as const;

  constructor(private readonly client: ClickHouseClient) {}

  async command(sql: string, params?: Record<string, unknown>): Promise<void> {
    try {
      await this.client.command({ query: sql, ...(params && { query_params: params }) });
    } catch (error) {
      throw wrap(sql, params, error);
    }
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    try {
      const result = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        ...(params && { query_params: params }),
      });
      return await result.json<T>();
    } catch (error) {
      throw wrap(sql, params, error);
    }
  }

  async insert(
    table: string,
    rows: readonly InsertRow[],
    options: InsertOptions = {},
  ): Promise<void> {
    checkTableName(table);
    const format = insertFormat(rows, options);
    if (rows.length === 0) return;
    const { deduplicationToken: token, columns } = options;
    try {
      await this.client.insert({
        table,
        values: rows as unknown[],
        format,
        ...(columns !== undefined && { columns: [...columns] as [string, ...string[]] }),
        ...(token !== undefined && { clickhouse_settings: { insert_deduplication_token: token } }),
      });
    } catch (error) {
      throw wrap(`INSERT INTO ${table} FORMAT ${format}`, undefined, error);
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()).success;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

// The client sends params as `param_<name>` settings; a server before 19.x calls them unknown
// settings, which reads like our bug unless we say what it means.
function wrap(sql: string, params: Record<string, unknown> | undefined, error: unknown) {
  const wrapped = ClickHouseStoreError.wrap('server', sql, error);
  if (params && /Unknown setting param_/.test(wrapped.clickhouseMessage)) {
    const hint = `${wrapped.clickhouseMessage} (this server predates query parameters {name:Type}; they need ClickHouse 19.x or later)`;
    return new ClickHouseStoreError('server', wrapped.sql, hint, { cause: error });
  }
  return wrapped;
}

/**
 * Routes the client's own log lines into ours. Its request failures are also thrown to the caller,
 * who decides whether they matter, so they go out at debug rather than error.
 */
function clientLogger(log: Logger): new () => ClientLogger {
  const child = log.child({ module: 'clickhouse-client' });
  const line = (level: 'trace' | 'debug' | 'warn', { message, args }: LogParams, err?: Error) =>
    child[level]({ ...args, ...(err && { err: err.message }) }, message);
  return class implements ClientLogger {
    trace(params: LogParams) {
      line('trace', params);
    }
    debug(params: LogParams) {
      line('debug', params);
    }
    info(params: LogParams) {
      line('debug', params);
    }
    warn(params: LogParams & { err?: Error }) {
      line('warn', params, params.err);
    }
    error(params: ErrorLogParams) {
      line('debug', params, params.err);
    }
  };
}
