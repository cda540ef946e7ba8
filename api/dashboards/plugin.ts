import type { FastifyInstance } from 'fastify';
import {
  bindParams,
  type Dashboard,
  dashboardsDir,
  listDashboards,
  runDashboard,
} from '../../lib/clickhouse/dashboards.ts';
import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import { ApiError } from '../../lib/http/errors.ts';
import { errors } from '../graph/schemas.ts';
import { checkParam, engineRefusal } from './params.ts';
import { dashboardList, dashboardName, dashboardQuery, dashboardRows } from './schemas.ts';
import { seriesRoute } from './series.ts';

/**
 * Options for {@link dashboardsPlugin}.
 * - `store` (ClickHouseStore, default none): where dashboards and series run; without it they
 *   are still listed, and running one answers 400 CLICKHOUSE_UNAVAILABLE.
 * - `dir` (string, default schemas/clickhouse/dashboards): the dashboard files.
 * - `now` (() => number, default Date.now): the end of a series without `at`.
 */
export interface DashboardsOptions {
  store?: ClickHouseStore | undefined;
  dir?: string;
  now?: () => number;
}

type RunRequest = { Params: { name: string }; Querystring: Record<string, string> };

/**
 * The SQL dashboards over HTTP (`GET /v1/dashboards`, `GET /v1/dashboards/:name?param=…`) and
 * the RED series of one node or edge (`GET /v1/series`, series.ts). The files are read once, at
 * registration: a broken dashboard fails the start rather than a request.
 */
export async function dashboardsPlugin(
  app: FastifyInstance,
  options: DashboardsOptions,
): Promise<void> {
  const boards = new Map(listDashboards(options.dir ?? dashboardsDir).map((b) => [b.name, b]));

  app.get(
    '/v1/dashboards',
    {
      schema: {
        summary: 'The SQL dashboards, with their parameters and defaults',
        tags: ['dashboards'],
        response: { 200: dashboardList },
      },
    },
    async () => ({ dashboards: [...boards.values()].map(({ sql: _sql, ...info }) => info) }),
  );

  app.get<RunRequest>(
    '/v1/dashboards/:name',
    {
      schema: {
        summary: 'Runs a dashboard: its rows as JSON, parameters from the querystring',
        description:
          "Each querystring key is one of the dashboard's parameters; its value is bound by " +
          "ClickHouse as the placeholder's type (never spliced into the SQL). 64-bit integers " +
          'arrive as strings.',
        tags: ['dashboards'],
        params: dashboardName,
        querystring: dashboardQuery,
        response: { 200: dashboardRows, ...errors(400, 404) },
      },
    },
    async (request) => {
      const board = boards.get(request.params.name);
      if (board === undefined) {
        throw new ApiError(
          'UNKNOWN_DASHBOARD',
          `unknown dashboard ${JSON.stringify(request.params.name)}; known: ${[...boards.keys()].join(', ')}`,
        );
      }
      const params = checkedParams(board, request.query);
      if (options.store === undefined) {
        throw new ApiError(
          'CLICKHOUSE_UNAVAILABLE',
          'dashboards need ClickHouse, and this server runs without it',
        );
      }
      let rows: Record<string, unknown>[];
      try {
        rows = await runDashboard(options.store, board, params);
      } catch (error) {
        throw engineRefusal(error) ?? error;
      }
      const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
      return { name: board.name, title: board.title, params, columns, rows };
    },
  );

  await app.register(seriesRoute, { store: options.store, now: options.now });
}

/** The defaults overlaid with the request's values; an unknown name or a bad value is a 400. */
function checkedParams(board: Dashboard, given: Record<string, string>): Record<string, string> {
  const known = new Map(board.params.map((param) => [param.name, param]));
  for (const [name, value] of Object.entries(given)) {
    const param = known.get(name);
    if (param === undefined) {
      throw new ApiError(
        'BAD_REQUEST',
        `querystring/${name}: dashboard '${board.name}' has no such parameter; its parameters: ${[...known.keys()].join(', ') || 'none'}`,
      );
    }
    checkParam(name, param.type, value);
  }
  return bindParams(board, given);
}
