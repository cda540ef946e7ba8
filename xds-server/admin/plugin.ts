import type { FastifyInstance } from 'fastify';
import { requireToken } from '../../lib/http/auth.ts';
import { ApiError, type ErrorCode, errorBodySchema, errorCodes } from '../../lib/http/errors.ts';
import type { SyncStatus } from '../ads/sync-status.ts';
import type { RoutingResult, RoutingSink } from '../routing/sink.ts';
import type { RoutingState } from '../routing/types.ts';

/**
 * Options for {@link xdsAdminPlugin}.
 * - `routing` (RoutingSink): where weight changes go.
 * - `syncStatus` (SyncStatus): per-node ACK/NACK state for `/v1/sync-status`.
 * - `token` (string | undefined): bearer token for mutating routes; unset = mutations refused.
 */
export interface XdsAdminOptions {
  routing: RoutingSink;
  syncStatus: SyncStatus;
  token: string | undefined;
}

const weightsBody = {
  type: 'object',
  required: ['weights'],
  additionalProperties: false,
  properties: {
    weights: {
      type: 'object',
      minProperties: 1,
      additionalProperties: { type: 'integer', minimum: 0, maximum: 128 },
    },
  },
} as const;

const weightMap = { type: 'object', additionalProperties: { type: 'integer' } } as const;
const routingSchema = {
  type: 'object',
  properties: {
    endpointWeights: { type: 'object', additionalProperties: weightMap },
    routeSplits: { type: 'object', additionalProperties: weightMap },
  },
} as const;

const errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  422: errorBodySchema,
  503: errorBodySchema,
};

/** The xds-server's admin API: sync status, current routing, and runtime weight changes. */
export async function xdsAdminPlugin(
  app: FastifyInstance,
  options: XdsAdminOptions,
): Promise<void> {
  const auth = requireToken(options.token);
  const answer = (result: RoutingResult) => {
    if (!result.ok)
      throw new ApiError(
        result.error.code as ErrorCode,
        result.error.message,
        statusOf(result.error.code),
      );
    return routingJson(result.state);
  };

  app.get('/v1/sync-status', async () => options.syncStatus.toJSON());

  app.get('/v1/routing', { schema: { response: { 200: routingSchema } } }, async () =>
    routingJson(options.routing.current()),
  );

  app.put<{ Params: { cluster: string }; Body: { weights: Record<string, number> } }>(
    '/v1/clusters/:cluster/weights',
    {
      preHandler: auth,
      schema: { body: weightsBody, response: { 200: routingSchema, ...errors } },
    },
    async (request) =>
      answer(
        options.routing.apply({
          kind: 'endpoint-weights',
          cluster: request.params.cluster,
          weights: new Map(Object.entries(request.body.weights)),
        }),
      ),
  );

  app.delete<{ Params: { cluster: string } }>(
    '/v1/clusters/:cluster/weights',
    { preHandler: auth, schema: { response: { 200: routingSchema, ...errors } } },
    async (request) =>
      answer(
        options.routing.apply({ kind: 'clear-endpoint-weights', cluster: request.params.cluster }),
      ),
  );

  app.put<{ Params: { route: string }; Body: { weights: Record<string, number> } }>(
    '/v1/routes/:route/split',
    {
      preHandler: auth,
      schema: { body: weightsBody, response: { 200: routingSchema, ...errors } },
    },
    async (request) =>
      answer(
        options.routing.apply({
          kind: 'route-split',
          route: request.params.route,
          weights: new Map(Object.entries(request.body.weights)),
        }),
      ),
  );

  app.delete<{ Params: { route: string } }>(
    '/v1/routes/:route/split',
    { preHandler: auth, schema: { response: { 200: routingSchema, ...errors } } },
    async (request) =>
      answer(options.routing.apply({ kind: 'clear-route-split', route: request.params.route })),
  );
}

function statusOf(code: string): number {
  return code in errorCodes ? errorCodes[code as ErrorCode] : 422;
}

function routingJson(state: RoutingState) {
  const plain = (m: ReadonlyMap<string, ReadonlyMap<string, number>>) =>
    Object.fromEntries([...m].map(([key, weights]) => [key, Object.fromEntries(weights)]));
  return { endpointWeights: plain(state.endpointWeights), routeSplits: plain(state.routeSplits) };
}
