import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../lib/http/errors.ts';
import { inboundStats } from '../../stream-jobs/graph/analyses/traffic.ts';
import { quantiles } from '../../stream-jobs/graph/analyses/validate.ts';
import { type Horizon, horizons, type ServiceGraph } from '../../stream-jobs/graph/model.ts';
import { edgeView, nodeView } from '../../stream-jobs/graph/snapshot.ts';
import { filterGraph } from './filter.ts';
import {
  atParam,
  errors,
  graphResponse,
  horizonParam,
  nodeDetailsResponse,
  query,
} from './schemas.ts';
import type { GraphReader } from './source.ts';

/** Depth around `service` when the request names none. */
const defaultDepth = 2;

interface GraphQuery {
  service?: string;
  depth?: number;
  search?: string;
  horizon: Horizon;
  at?: string;
  limit: number;
}

const graphQuery = query({
  service: { type: 'string', minLength: 1, description: 'Centre the view on this node.' },
  depth: {
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: `Links from \`service\` to include, either direction (default ${defaultDepth}); needs \`service\`.`,
  },
  search: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description: 'Keep nodes whose key contains this, case-insensitive.',
  },
  horizon: horizonParam('1m', 'Show edges seen within this horizon.'),
  at: atParam,
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: 100_000,
    default: 2000,
    description: 'Most nodes returned: nearest to `service` first, then the busiest.',
  },
});

/** `/v1/graph` (the graph, filtered) and `/v1/graph/nodes/:node` (one node, its edges, stats). */
export async function graphRoutes(
  app: FastifyInstance,
  options: { reader: GraphReader },
): Promise<void> {
  const { reader } = options;

  app.get<{ Querystring: GraphQuery }>(
    '/v1/graph',
    {
      schema: {
        summary: 'The service graph, filtered by centre and depth, search and horizon',
        tags: ['graph'],
        querystring: graphQuery,
        response: { 200: graphResponse, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { service, depth, search, horizon, at, limit } = request.query;
      if (depth !== undefined && service === undefined) {
        throw new ApiError('BAD_REQUEST', 'querystring/depth needs querystring/service');
      }
      const { graph, atMs } = await reader.read(at, horizon);
      if (service !== undefined) mustHave(graph, service);
      const filter = { service, depth: depth ?? defaultDepth, search, horizon, atMs, limit };
      return { atMs, horizon, ...filterGraph(graph, filter) };
    },
  );

  app.get<{ Params: { node: string }; Querystring: { at?: string } }>(
    '/v1/graph/nodes/:node',
    {
      schema: {
        summary: "One node: its attributes, inbound stats per horizon, and every edge's stats",
        description:
          'Endpoint keys contain a slash: encode it (`db%2F10.0.0.1%3A5432`). `at` reads the ' +
          'graph of the hour before that time, like the live fold keeps.',
        tags: ['graph'],
        params: { type: 'object', required: ['node'], properties: { node: { type: 'string' } } },
        querystring: query({ at: atParam }),
        response: { 200: nodeDetailsResponse, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { graph, atMs } = await reader.read(request.query.at, '1h');
      const node = mustHave(graph, request.params.node);
      return {
        atMs,
        node: nodeView(node, graph.getNodeAttributes(node)),
        stats: statsOf(graph, node),
        inbound: graph.mapInEdges(node, (key, a, source, target) =>
          edgeView(key, source, target, a),
        ),
        outbound: graph.mapOutEdges(node, (key, a, source, target) =>
          edgeView(key, source, target, a),
        ),
      };
    },
  );
}

function mustHave(graph: ServiceGraph, node: string): string {
  if (!graph.hasNode(node)) {
    throw new ApiError('UNKNOWN_NODE', `the node ${JSON.stringify(node)} is not in the graph`);
  }
  return node;
}

/**
 * The node's inbound traffic per horizon, as its callers measured it (analyses/traffic.ts):
 * rates add up; error rate and each quantile are request-weighted means over the callers.
 */
function statsOf(graph: ServiceGraph, node: string) {
  const perQuantile = quantiles.map((q) => inboundStats(graph, node, horizons, q));
  const finite = (value: number | undefined) =>
    value !== undefined && Number.isFinite(value) ? value : null;
  return Object.fromEntries(
    horizons.map((horizon, h) => {
      const [p50, p90, p99, p999] = perQuantile.map((stats) => finite(stats[h]?.latencyMs));
      const first = perQuantile[0]?.[h];
      return [
        horizon,
        {
          rate: first?.rate ?? 0,
          errorRate: finite(first?.errorRate),
          p50,
          p90,
          p99,
          p999,
          requests: first?.requests ?? 0,
        },
      ];
    }),
  );
}
