import type { FastifyInstance } from 'fastify';
import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import { ApiError } from '../../lib/http/errors.ts';
import { ingressNode } from '../../stream-jobs/graph/model.ts';
import { parseEdge } from '../graph/analyses-routes.ts';
import { atParam, errors, query } from '../graph/schemas.ts';
import { parseAt } from '../graph/source.ts';
import { seriesResponse } from './schemas.ts';

interface SeriesQuery {
  node?: string;
  edge?: string;
  window: number;
  step: number;
  at?: string;
}

/** Which rollup rows make up a node's or an edge's traffic: a table and a fixed filter. */
interface Source {
  table: 'edge_stats' | 'endpoint_stats';
  where: string;
  params: Record<string, string>;
}

/**
 * A node is measured by what reaches it (its callers' edges, or for an endpoint its own rows),
 * the ingress by what it sends, as the graph's health and stats do (graph-routes.ts statsOf).
 */
export function sourceOf(target: { node: string } | { edge: string }): Source {
  if ('node' in target) {
    const slash = target.node.indexOf('/');
    if (slash > 0) return endpoint(target.node.slice(0, slash), target.node.slice(slash + 1));
    if (target.node === ingressNode) {
      return {
        table: 'edge_stats',
        where: 'source_service = {a:String}',
        params: { a: target.node },
      };
    }
    return {
      table: 'edge_stats',
      where: 'destination_cluster = {b:String}',
      params: { b: target.node },
    };
  }
  const { source, target: to } = parseEdge(target.edge);
  if (to.startsWith(`${source}/`)) return endpoint(source, to.slice(source.length + 1));
  return {
    table: 'edge_stats',
    where: 'source_service = {a:String} AND destination_cluster = {b:String}',
    params: { a: source, b: to },
  };
}

function endpoint(cluster: string, host: string): Source {
  return {
    table: 'endpoint_stats',
    where: 'destination_cluster = {a:String} AND upstream_endpoint = {b:String}',
    params: { a: cluster, b: host },
  };
}

// Identifiers come from sourceOf's fixed choices; every value is a {name:Type} parameter.
const sql = (source: Source) => `SELECT
  toUnixTimestamp(toStartOfInterval(window_start, toIntervalSecond({step:UInt32}))) * 1000 AS t,
  sum(requests) AS requests,
  sum(status_5xx) + sum(no_response) AS errors,
  quantilesDDMerge(0.01, 0.5, 0.99)(latency_us) AS q
FROM ${source.table}
WHERE window_start >= toDateTime({from:UInt32}, 'UTC')
  AND window_start < toDateTime({to:UInt32}, 'UTC')
  AND ${source.where}
GROUP BY t
ORDER BY t`;

type Row = {
  t: string | number;
  requests: string | number;
  errors: string | number;
  q: Array<number | null>;
};

const finite = (value: number | null | undefined) =>
  value !== null && value !== undefined && Number.isFinite(value) ? value : null;

const description = `RED over time for one node or edge from the ClickHouse rollups (10-s
windows summed per \`step\`): a service by its inbound calls, an endpoint (\`service/host:port\`)
by its own rows, \`ingress\` by what it sends. Buckets without traffic are left out.`;

/** `GET /v1/series`: the RED chart of the graph page's details panel. */
export async function seriesRoute(
  app: FastifyInstance,
  options: { store: ClickHouseStore | undefined; now?: () => number },
): Promise<void> {
  const now = options.now ?? Date.now;
  app.get<{ Querystring: SeriesQuery }>(
    '/v1/series',
    {
      schema: {
        summary: 'Rate, error rate and latency of a node or an edge over time',
        description,
        tags: ['graph'],
        querystring: query({
          node: { type: 'string', minLength: 1, maxLength: 500 },
          edge: { type: 'string', minLength: 1, maxLength: 1000, description: '`source→target`' },
          window: { type: 'integer', minimum: 60, maximum: 86_400, default: 3600 },
          step: { type: 'integer', minimum: 10, maximum: 3600, default: 60 },
          at: atParam,
        }),
        response: { 200: seriesResponse, ...errors(400) },
      },
    },
    async (request) => {
      const { node, edge, window, step, at } = request.query;
      if ((node === undefined) === (edge === undefined)) {
        throw new ApiError('BAD_REQUEST', 'querystring must have exactly one of node, edge');
      }
      if (window / step > 2000) {
        throw new ApiError('BAD_REQUEST', 'querystring/step: window / step must be at most 2000');
      }
      const { store } = options;
      if (store === undefined) {
        throw new ApiError(
          'CLICKHOUSE_UNAVAILABLE',
          'series need ClickHouse, and this server runs without it',
        );
      }
      const target = node !== undefined ? { node } : { edge: edge as string };
      const source = sourceOf(target);
      const toS = Math.floor((at === undefined ? now() : parseAt(at)) / 1000);
      // Aligned down so every bucket but the last covers a whole step.
      const fromS = Math.floor((toS - window) / step) * step;
      const rows = await store.query<Row>(sql(source), {
        ...source.params,
        step: String(step),
        from: String(fromS),
        to: String(toS),
      });
      const points = rows.map((row) => {
        const tMs = Number(row.t);
        const seconds = Math.max(1, Math.min(step, toS - tMs / 1000));
        const requests = Number(row.requests);
        const [p50, p99] = row.q ?? [];
        return {
          tMs,
          rate: requests / seconds,
          errorRate: requests > 0 ? Number(row.errors) / requests : null,
          p50: finite(p50 === null || p50 === undefined ? null : p50 / 1000),
          p99: finite(p99 === null || p99 === undefined ? null : p99 / 1000),
          requests,
        };
      });
      return { target, fromMs: fromS * 1000, toMs: toS * 1000, stepSeconds: step, points };
    },
  );
}
