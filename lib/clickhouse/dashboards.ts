import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../stack/paths.ts';
import type { ClickHouseStore } from './store.ts';

/** Where the dashboards live: one `NAME.sql` each, run by `meshgraph sql NAME`. */
export const dashboardsDir = path.join(projectRoot, 'schemas', 'clickhouse', 'dashboards');

/**
 * One `{name:Type}` placeholder of a dashboard, declared in its header as
 * `-- @param NAME DEFAULT DESCRIPTION…` (DEFAULT is one word; `''` is the empty string).
 */
export interface DashboardParam {
  name: string;
  /** The ClickHouse type from the placeholder, e.g. `UInt32`. */
  type: string;
  default: string;
  description: string;
}

export interface Dashboard {
  name: string;
  /** The header's first line. */
  title: string;
  /** The header's other prose lines, joined with spaces. */
  description: string;
  params: DashboardParam[];
  /** The statement after the header, placeholders intact: the engine binds them. */
  sql: string;
}

/** The caller asked for a dashboard or parameter that does not exist. */
export class DashboardUsageError extends Error {
  override name = 'DashboardUsageError';
}

const placeholder = /\{([A-Za-z_]\w*):([^}]+)\}/g;

/** Reads a dashboard's text; a placeholder without a header default (or the reverse) throws. */
export function parseDashboard(name: string, text: string): Dashboard {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const headerLength = lines.findIndex((line) => !line.startsWith('--'));
  const header = lines
    .slice(0, headerLength === -1 ? lines.length : headerLength)
    .map((line) => line.replace(/^--\s?/, '').trim());
  const sql = lines.slice(header.length).join('\n').trim();
  const prose = header.filter((line) => line !== '' && !line.startsWith('@param'));
  const defaults = new Map<string, { value: string; description: string }>();
  for (const line of header.filter((l) => l.startsWith('@param'))) {
    const match = /^@param\s+([A-Za-z_]\w*)\s+(\S+)\s*(.*)$/.exec(line);
    if (!match) throw new Error(`dashboard '${name}': '${line}' is not '@param NAME DEFAULT …'`);
    const [, key = '', value = '', description = ''] = match;
    defaults.set(key, { value: value === "''" ? '' : value, description });
  }
  const types = new Map<string, string>();
  for (const [, key = '', type = ''] of sql.matchAll(placeholder)) {
    if (types.has(key) && types.get(key) !== type) {
      throw new Error(`dashboard '${name}': {${key}} is both ${types.get(key)} and ${type}`);
    }
    types.set(key, type.trim());
  }
  const undeclared = [...types.keys()].filter((key) => !defaults.has(key));
  const unused = [...defaults.keys()].filter((key) => !types.has(key));
  if (undeclared.length > 0 || unused.length > 0 || prose.length === 0 || sql === '') {
    throw new Error(
      `dashboard '${name}' needs a title line, '-- @param NAME DEFAULT' for each placeholder and a statement (placeholders without @param: ${undeclared.join(', ') || 'none'}; @param without placeholder: ${unused.join(', ') || 'none'})`,
    );
  }
  return {
    name,
    title: prose[0] ?? name,
    description: prose.slice(1).join(' '),
    params: [...defaults].map(([key, { value, description }]) => ({
      name: key,
      type: types.get(key) ?? 'String',
      default: value,
      description,
    })),
    sql,
  };
}

/** The dashboard names in `dir`, sorted. */
export function dashboardNames(dir: string = dashboardsDir): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort();
}

/** Every dashboard in `dir`, by name. */
export function listDashboards(dir: string = dashboardsDir): Dashboard[] {
  return dashboardNames(dir).map((name) => loadDashboard(name, dir));
}

/** The dashboard called `name`; an unknown name throws, listing the known ones. */
export function loadDashboard(name: string, dir: string = dashboardsDir): Dashboard {
  const names = dashboardNames(dir);
  if (!names.includes(name)) {
    throw new DashboardUsageError(`unknown dashboard '${name}'; known: ${names.join(', ')}`);
  }
  return parseDashboard(name, readFileSync(path.join(dir, `${name}.sql`), 'utf8'));
}

/** The header defaults overlaid with `overrides`; a name the dashboard lacks throws. */
export function bindParams(
  dashboard: Dashboard,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const known = dashboard.params.map((param) => param.name);
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) {
      throw new DashboardUsageError(
        `dashboard '${dashboard.name}' has no parameter '${key}'; its parameters: ${known.join(', ') || 'none'}`,
      );
    }
  }
  return Object.fromEntries(
    dashboard.params.map((param) => [param.name, overrides[param.name] ?? param.default]),
  );
}

/**
 * Runs a dashboard. Values travel as text and the engine parses them as each placeholder's type,
 * so `--param window=60` and a bad value (`window=soon`) get ClickHouse's own verdict.
 */
export function runDashboard(
  store: ClickHouseStore,
  dashboard: Dashboard,
  overrides: Readonly<Record<string, string>> = {},
): Promise<Record<string, unknown>[]> {
  return store.query<Record<string, unknown>>(dashboard.sql, bindParams(dashboard, overrides));
}

// 64-bit integers arrive as strings, so a numeric column is recognised by its text too.
const numeric = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Rows as an aligned text table for a terminal: a header, a rule, one line per row; columns in
 * first-seen key order, a column whose every value is a number right-aligned, the rest left.
 * No rows gives `(no rows)`. Lines carry no trailing blanks.
 */
export function formatTable(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
  const right = columns.map((column) =>
    rows.every((row) => {
      const value = row[column];
      return value == null || typeof value === 'number' || numeric.test(String(value));
    }),
  );
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((text, i) => (right[i] ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width));
  return `${[render(columns), render(rule), ...cells.map(render)].join('\n')}\n`;
}
