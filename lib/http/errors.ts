import type { FastifyError, FastifyInstance } from 'fastify';

/**
 * Every error code meshgraph's HTTP APIs answer with, in one place. Codes are stable: clients and
 * tests match on them, messages may improve.
 */
export const errorCodes = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  INTERNAL: 500,
  NOT_READY: 503,
  // Routing changes (xds-server/routing/errors.ts says when each is used).
  UNKNOWN_CLUSTER: 404,
  UNKNOWN_ROUTE: 404,
  UNKNOWN_ENDPOINT: 422,
  STATIC_CLUSTER: 422,
  NOT_A_SPLIT_ROUTE: 422,
  CLUSTER_NOT_IN_SPLIT: 422,
  BAD_WEIGHT: 400,
  BAD_TOTAL_WEIGHT: 400,
  ALL_EJECTED: 422,
  REJECTED: 409,
  // Graph API (api/graph/): the analyses' GraphAnalysisError codes keep their names.
  UNKNOWN_NODE: 404,
  UNKNOWN_EDGE: 404,
  INVALID_HORIZON: 400,
  INVALID_PARAMS: 400,
  INVALID_OPTION: 400,
  /** An iterative analysis (PageRank) did not converge on this graph: no server fault. */
  NOT_CONVERGED: 422,
  /** `at` asked for the graph's past, but this server runs without ClickHouse history. */
  HISTORY_UNAVAILABLE: 400,
  // Policy API (api/policy/): overrides reuse UNKNOWN_CLUSTER, STATIC_CLUSTER, UNKNOWN_ENDPOINT
  // and BAD_WEIGHT above, the same refusals as the xds admin API's weight changes.
  /** A managed cluster without a decision yet (mode off, or no interval run since start). */
  NO_DECISION: 404,
  // Dashboards and RED series (api/dashboards/).
  UNKNOWN_DASHBOARD: 404,
  /** A dashboard or series needs ClickHouse, and this server runs without it. */
  CLICKHOUSE_UNAVAILABLE: 400,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** An error a route throws on purpose: its code and status go to the client as they are. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly statusCode: number = code in errorCodes
      ? errorCodes[code as keyof typeof errorCodes]
      : 422,
  ) {
    super(message);
  }
}

/**
 * Maps every failure to `{ error: { code, message } }`: ApiError as thrown, schema validation
 * failures to BAD_REQUEST naming the field, unknown routes to NOT_FOUND, the rest to INTERNAL
 * (logged, message withheld).
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.statusCode).send(body(error.code, error.message));
    }
    if ('validation' in error && error.validation) {
      return reply
        .status(400)
        .send(
          body(
            'BAD_REQUEST',
            `${error.validationContext ?? 'request'}${error.message.replace(/^(body|params|querystring)/, '')}`,
          ),
        );
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(body('BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(body('INTERNAL', 'internal error; see the server log'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url}`)),
  );
}

function body(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
