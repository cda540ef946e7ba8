import { errorBodySchema } from '../../lib/http/errors.ts';
import { horizons } from '../../stream-jobs/graph/model.ts';

/**
 * JSON schemas shared by the graph routes. Responses are declared field by field: fastify
 * serialises with them (fast-json-stringify), so an undeclared field would silently vanish and a
 * null in a plain `number` would turn into 0. Hence `nullable` wherever the value may be null
 * (NaN and Infinity travel as null, see snapshot.ts).
 */

export const num = { type: 'number' } as const;
export const int = { type: 'integer' } as const;
export const str = { type: 'string' } as const;
export const bool = { type: 'boolean' } as const;
export const nullableNumber = { type: 'number', nullable: true } as const;
export const strings = { type: 'array', items: str } as const;
/** Node key → number (PageRank, betweenness, membership). */
export const numberMap = { type: 'object', additionalProperties: num } as const;

export const nodeKinds = ['service', 'endpoint', 'ingress', 'virtual'] as const;
export const nodeKind = { type: 'string', enum: nodeKinds } as const;

/** `horizon` in a querystring; `fallback` is its default. */
export function horizonParam(fallback: string, description: string) {
  return { type: 'string', enum: horizons, default: fallback, description } as const;
}

export const atParam = {
  type: 'string',
  minLength: 1,
  description:
    'Answer from the graph as it was at this time (ISO 8601, or ms since the epoch), read from ' +
    'ClickHouse; 400 HISTORY_UNAVAILABLE when this server runs without it. Default: the live graph.',
} as const;

/** An object whose fields are all required: response shapes always carry every field. */
export function object<P extends Record<string, unknown>>(properties: P, optional: string[] = []) {
  const required = Object.keys(properties).filter((key) => !optional.includes(key));
  return { type: 'object', required, properties } as const;
}

export function list<T>(items: T) {
  return { type: 'array', items } as const;
}

/** One edge's RED statistics over one horizon (snapshot.ts RedStatsView). */
export const redStats = object({
  rate: num,
  errorRate: num,
  p50: nullableNumber,
  p90: nullableNumber,
  p99: nullableNumber,
  p999: nullableNumber,
  requests: num,
});

/** A node's stats as its callers see them: null error rate when nothing called it. */
export const nodeStats = object({ ...redStats.properties, errorRate: nullableNumber });

function byHorizon<T>(stats: T) {
  return object({ '1m': stats, '5m': stats, '1h': stats });
}

export const nodeView = object(
  {
    key: str,
    kind: nodeKind,
    service: str,
    endpoint: str,
    health: { type: 'string', enum: ['healthy', 'degraded', 'failing', 'unknown'] },
  },
  ['endpoint'],
);

export const edgeView = object({
  key: { type: 'string', description: '`source→target`' },
  source: str,
  target: str,
  kind: { type: 'string', enum: ['calls', 'hosts'] },
  lastSeenMs: num,
  stats: byHorizon(redStats),
});

export const graphResponse = object({
  atMs: { type: 'number', description: 'The time the statistics are evaluated at (ms).' },
  horizon: { type: 'string', enum: horizons },
  nodes: list(nodeView),
  edges: list(edgeView),
  matched: { type: 'integer', description: 'Nodes that passed the filters, before `limit`.' },
  truncated: { type: 'boolean', description: 'True when `limit` left nodes out.' },
});

export const nodeDetailsResponse = object({
  atMs: num,
  node: nodeView,
  stats: { ...byHorizon(nodeStats), description: "The node's inbound traffic, per horizon." },
  inbound: list(edgeView),
  outbound: list(edgeView),
});

/** The error answers a route declares (every one carries `{ error: { code, message } }`). */
export function errors(...statuses: number[]): Record<number, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema]));
}

/** A querystring schema: unknown keys are refused (400) rather than ignored. */
export function query<P extends Record<string, unknown>>(properties: P, required: string[] = []) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}
