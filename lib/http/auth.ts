import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * A preHandler for mutating routes: the request must carry `Authorization: Bearer <token>`.
 * With no token configured, mutations are refused outright rather than left open.
 */
export function requireToken(token: string | undefined) {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return async (request: FastifyRequest): Promise<void> => {
    if (!expected) {
      throw new ApiError(
        'UNAUTHORIZED',
        'this server has no admin token configured (--token / MESHGRAPH_TOKEN); mutations are disabled',
      );
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    const given = Buffer.from(match?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(
        'UNAUTHORIZED',
        match ? 'wrong bearer token' : 'missing header Authorization: Bearer <token>',
      );
    }
  };
}
