import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../../lib/http/errors.ts';
import { type BundleName, bundles, entries } from './bundle.ts';

const staticDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const read = (file: string) => readFileSync(path.join(staticDir, file), 'utf8');

/** Pages and stylesheet, read once when this module loads; the scripts are bundles (bundle.ts). */
const pages = {
  graph: read('graph.html'),
  dashboards: read('dashboards.html'),
  css: read('app.css'),
};

// Hidden from /openapi.json: pages, not API.
const hidden = { schema: { hide: true } } as const;
// The bundle changes when the server is updated; without this a browser could run an old one.
const fresh = 'no-cache';

/**
 * The operator's pages: `/ui` (the live service graph), `/ui/dashboards` (the SQL dashboards)
 * and their assets under `/ui/assets/`. The pages read everything through the public API of
 * the same origin (graph, SSE stream, analyses, decisions, dashboards, series).
 */
export async function webPlugin(app: FastifyInstance): Promise<void> {
  const html = (body: string) => async (_request: unknown, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', fresh).send(body);

  app.get('/', hidden, async (_request, reply) => reply.redirect('/ui'));
  app.get('/ui', hidden, html(pages.graph));
  app.get('/ui/dashboards', hidden, html(pages.dashboards));
  app.get('/ui/assets/app.css', hidden, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', fresh).send(pages.css),
  );
  app.get<{ Params: { file: string } }>('/ui/assets/:file', hidden, async (request, reply) => {
    const name = request.params.file;
    // Own keys only: `toString` is `in` every object.
    if (!Object.hasOwn(entries, name)) {
      throw new ApiError('NOT_FOUND', `no asset ${JSON.stringify(name)}`);
    }
    const code = (await bundles()).get(name as BundleName);
    return reply.type('text/javascript; charset=utf-8').header('cache-control', fresh).send(code);
  });
}
