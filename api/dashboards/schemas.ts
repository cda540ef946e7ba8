import { list, object, str, strings } from '../graph/schemas.ts';

/** JSON schemas of the dashboard and series routes (see api/graph/schemas.ts for the helpers). */

export const dashboardParam = object({
  name: str,
  type: { type: 'string', description: 'The ClickHouse type the value is parsed as.' },
  default: str,
  description: str,
});

export const dashboardInfo = object({
  name: str,
  title: str,
  description: str,
  params: list(dashboardParam),
});

export const dashboardList = object({ dashboards: list(dashboardInfo) });

export const dashboardName = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** A dashboard's parameters: any names (checked against the dashboard), values as text. */
export const dashboardQuery = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 1000 },
} as const;

/** One row as ClickHouse answers it: 64-bit integers as strings, the rest as JSON values. */
const row = { type: 'object', additionalProperties: true } as const;

export const dashboardRows = object({
  name: str,
  title: str,
  params: {
    type: 'object',
    additionalProperties: str,
    description: 'Every parameter the query ran with: the defaults overlaid with the request.',
  },
  columns: { ...strings, description: 'Column names in the order the first row has them.' },
  rows: list(row),
});

const nullableNumber = { type: 'number', nullable: true } as const;

export const seriesResponse = object({
  target: {
    type: 'object',
    description: '`{ node }` or `{ edge }`, as asked.',
    properties: { node: str, edge: str },
  },
  fromMs: { type: 'number', description: 'Start of the first bucket asked for (ms).' },
  toMs: { type: 'number', description: 'End of the span (ms): `at`, or now.' },
  stepSeconds: { type: 'integer' },
  points: list(
    object({
      tMs: { type: 'number', description: 'Bucket start (ms).' },
      rate: { type: 'number', description: 'Requests per second over the bucket.' },
      errorRate: nullableNumber,
      p50: nullableNumber,
      p99: nullableNumber,
      requests: { type: 'number' },
    }),
  ),
});
