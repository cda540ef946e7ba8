import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../stack/paths.ts';

const { version } = JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as {
  version: string;
};

/**
 * Registers @fastify/swagger and serves its document at `/openapi.json` (OpenAPI 3.0.3, built
 * from the route schemas). Call it before registering routes: swagger collects them as they
 * are added, so a route registered earlier is missing from the document.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'meshgraph API',
        description:
          'The service graph, its analyses and live changes. Every error answers ' +
          '`{ error: { code, message } }` with a stable code (lib/http/errors.ts).',
        version,
      },
      tags: [
        { name: 'graph', description: 'The live service graph, or its past from ClickHouse' },
        { name: 'analyses', description: 'Graph analyses (stream-jobs/graph/analyses/README.md)' },
      ],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
