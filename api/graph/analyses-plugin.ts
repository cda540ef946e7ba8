import type { FastifyInstance } from 'fastify';
import { analysisRoutes, type Query } from './analyses-routes.ts';
import { atParam, errors, query } from './schemas.ts';
import { analyse, type GraphReader } from './source.ts';

/**
 * Options for {@link analysesPlugin}.
 * - `reader` (GraphReader): the live graph, or the history for `at`.
 * - `capacityRps` (() => Record<string, number>, default none): req/s one endpoint of a service
 *   can take, for `bottlenecks?by=saturation` (without it: relative to the busiest node).
 */
export interface AnalysesOptions {
  reader: GraphReader;
  capacityRps?: (() => Record<string, number>) | undefined;
}

/**
 * One GET route per graph analysis (stream-jobs/graph/analyses/), its querystring the
 * analysis's params and options. With `at`, the analysis runs on the history's graph of the
 * hour before that time: the live fold keeps an edge for an hour, so both see the same edges.
 */
export async function analysesPlugin(
  app: FastifyInstance,
  options: AnalysesOptions,
): Promise<void> {
  const { reader } = options;
  for (const route of analysisRoutes(options.capacityRps)) {
    app.get<{ Querystring: Query }>(
      route.path,
      {
        schema: {
          summary: route.summary,
          tags: ['analyses'],
          querystring: query({ ...route.query, at: atParam }, route.required),
          response: { 200: route.response, ...errors(400, 404, 422) },
        },
      },
      async (request) => {
        const { graph } = await reader.read(request.query.at, '1h');
        return analyse(() => route.run(graph, request.query));
      },
    );
  }
}
