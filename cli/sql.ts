import { Command } from 'commander';
import {
  bindParams,
  DashboardUsageError,
  formatTable,
  listDashboards,
  loadDashboard,
  runDashboard,
} from '../lib/clickhouse/dashboards.ts';
import { migrate } from '../lib/clickhouse/migrate.ts';
import { openStore, parseStoreUrl } from '../lib/clickhouse/store.ts';
import { createLogger } from '../lib/log.ts';
import { defaultClickHouseUrl } from '../stack/paths.ts';
import { UsageError } from './errors.ts';

/** `name=value` pairs → overrides; the value may itself contain `=`. */
export function parseParamPairs(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--param expects NAME=VALUE, got '${pair}'`);
    const key = pair.slice(0, at);
    if (key in params) throw new UsageError(`--param ${key} is given twice`);
    params[key] = pair.slice(at + 1);
  }
  return params;
}

/** `window=300 cluster=''`: parameters as a user would pass them. */
function paramText(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${value === '' ? "''" : value}`)
    .join(' ');
}

/** One line per dashboard: name, title, parameters with their defaults. */
function dashboardList(): string {
  const dashboards = listDashboards();
  const width = Math.max(...dashboards.map((d) => d.name.length));
  return dashboards
    .map((d) => `  ${d.name.padEnd(width)}  ${d.title} [${paramText(bindParams(d))}]`)
    .join('\n');
}

// Library mistakes of the caller's making (unknown dashboard or parameter) are usage errors.
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DashboardUsageError) throw new UsageError(error.message);
    throw error;
  }
}

interface SqlOptions {
  clickhouse: string;
  param?: string[];
  list: boolean;
  json: boolean;
  migrate: boolean;
}

export function sqlCommand(): Command {
  return new Command('sql')
    .description(
      'run a SQL dashboard (schemas/clickhouse/dashboards/NAME.sql) against ClickHouse and print it as a table',
    )
    .argument('[name]', 'the dashboard to run; without it, list them')
    .option(
      '--clickhouse <url>',
      'chdb:///absolute/dir (embedded) or http(s)://host:port (server) (env MESHGRAPH_CLICKHOUSE_URL)',
      defaultClickHouseUrl(),
    )
    .option(
      '--param <name=value>',
      'set a dashboard parameter (repeatable); defaults are in the list below',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--list', 'list the dashboards with their parameters and defaults', false)
    .option('--json', 'print the rows (or with --list, the dashboards) as JSON', false)
    .option('--no-migrate', 'do not apply pending schema migrations before querying')
    .addHelpText('after', () => `\nDashboards:\n${dashboardList()}\n`)
    .action(async (name: string | undefined, options: SqlOptions) => {
      if (options.list || name === undefined) {
        const text = options.json
          ? JSON.stringify(
              listDashboards().map(({ sql: _sql, ...rest }) => rest),
              null,
              2,
            )
          : dashboardList();
        process.stdout.write(`${text}\n`);
        return;
      }
      const dashboard = asUsage(() => loadDashboard(name));
      const overrides = parseParamPairs(options.param ?? []);
      const params = asUsage(() => bindParams(dashboard, overrides));
      try {
        parseStoreUrl(options.clickhouse);
      } catch (error) {
        throw new UsageError(`--clickhouse: ${(error as Error).message}`);
      }
      // Quiet by default: stdout is the table, and the store's open/close lines are noise here.
      const log = createLogger('sql', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
      const store = await openStore(options.clickhouse, log);
      try {
        // The schema is applied idempotently wherever a store is opened, so a fresh embedded
        // folder answers with empty dashboards rather than "unknown table".
        if (options.migrate) await migrate(store, log);
        const rows = await runDashboard(store, dashboard, overrides);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const count =
          rows.length === 1 ? '(1 row)\n' : rows.length > 1 ? `(${rows.length} rows)\n` : '';
        process.stdout.write(
          `${dashboard.title} [${paramText(params)}]\n\n${formatTable(rows)}${count}`,
        );
      } finally {
        await store.close();
      }
    });
}
