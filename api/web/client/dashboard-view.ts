/// <reference lib="dom" />
import { barChart, lineChart } from './charts.ts';
import { h } from './dom.ts';

export type Row = Record<string, unknown>;

const palette = [
  '#0969da',
  '#e5534b',
  '#2da44e',
  '#d4a72c',
  '#8250df',
  '#bf3989',
  '#1b7c83',
  '#953800',
];
// ClickHouse DateTime as JSON: `2026-01-01 12:00:00` (UTC).
const dateTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/;

/** 64-bit integers arrive as strings, so a column is numeric when every value reads as one. */
export function numericColumns(columns: string[], rows: Row[]): string[] {
  return columns.filter((column) =>
    rows.every((row) => {
      const value = row[column];
      return (
        value === null ||
        typeof value === 'number' ||
        (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      );
    }),
  );
}

const timeOf = (value: unknown) => Date.parse(`${String(value).replace(' ', 'T')}Z`);

/**
 * A dashboard's rows as a chart: with a time column, one line per combination of the text
 * columns (e.g. one per endpoint) of the chosen measure; without one, a bar per row.
 */
export function chartOf(columns: string[], rows: Row[], measure: string): SVGSVGElement | null {
  if (rows.length === 0) return null;
  const numeric = numericColumns(columns, rows);
  const time = columns.find((column) => rows.every((row) => dateTime.test(String(row[column]))));
  const labels = columns.filter((c) => c !== time && !numeric.includes(c));
  const label = (row: Row) => labels.map((c) => String(row[c])).join(' → ') || measure;
  if (time !== undefined) {
    const groups = new Map<string, Array<{ t: number; v: number | null }>>();
    for (const row of rows) {
      const key = label(row);
      const points = groups.get(key) ?? [];
      groups.set(key, points);
      const value = row[measure];
      points.push({ t: timeOf(row[time]), v: value === null ? null : Number(value) });
    }
    const series = [...groups].slice(0, palette.length).map(([name, points], i) => ({
      name,
      color: palette[i] ?? '#000',
      points,
    }));
    return lineChart(series, {
      title: `${measure} by ${labels.join(', ') || 'time'}`,
      width: 640,
      height: 200,
    });
  }
  return barChart(
    rows.slice(0, 30).map((row) => ({ label: label(row), value: Number(row[measure] ?? 0) })),
    measure,
  );
}

/** The rows as a table, numbers right-aligned. */
export function rowsTable(columns: string[], rows: Row[]): HTMLTableElement {
  const numeric = new Set(numericColumns(columns, rows));
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? 'NULL'
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return h(
    'table',
    { class: 'rows' },
    h(
      'thead',
      {},
      h('tr', {}, ...columns.map((c) => h('th', { class: numeric.has(c) ? 'num' : undefined }, c))),
    ),
    h(
      'tbody',
      {},
      ...rows.map((row) =>
        h(
          'tr',
          {},
          ...columns.map((c) =>
            h('td', { class: numeric.has(c) ? 'num' : undefined }, cell(row[c])),
          ),
        ),
      ),
    ),
  );
}
