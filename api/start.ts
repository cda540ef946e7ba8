import type { FastifyInstance } from 'fastify';
import { type ApiAppOptions, createApiApp } from './app.ts';

/**
 * Options for {@link startApi}: those of createApiApp (app.ts: `fold`, `history`, `log`,
 * `token`, `ready`, `metrics`, `extraPlugins`, `store`, `now`, `capacityRps`, `heartbeatMs`,
 * `maxBufferedBytes`), plus
 * - `host` (string, default `127.0.0.1`): listen address; `0.0.0.0` to serve other machines.
 * - `port` (number, default 18080; 0 picks a free one).
 */
export interface ApiServerOptions extends ApiAppOptions {
  host?: string;
  port?: number;
}

export interface RunningApi {
  /** The port listened on (the one picked when `port` was 0). */
  readonly port: number;
  readonly app: FastifyInstance;
  /** Ends the SSE streams and stops listening. */
  close(): Promise<void>;
}

/** The API component: graph, analyses, SSE, OpenAPI, health and metrics over HTTP. */
export async function startApi(options: ApiServerOptions): Promise<RunningApi> {
  const app = await createApiApp(options);
  try {
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 18080 });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  options.log.info({ port }, 'api listening');
  return { port, app, close: () => app.close() };
}
