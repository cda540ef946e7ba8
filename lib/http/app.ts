import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../log.ts';
import { registerErrorHandling } from './errors.ts';

/**
 * A fastify instance configured the way every meshgraph HTTP API is: pino logging without a
 * line per request, the shared error registry, and schemas that reject unknown keys (fastify's
 * default silently strips them, which hides typos in a request).
 */
export function createHttpApp(log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    // Node keys such as `<service>/<host:port>` travel as path parameters; 100 (the default) is
    // short for long service names.
    routerOptions: { maxParamLength: 500 },
  });
  registerErrorHandling(app);
  return app;
}
