import type { FastifyInstance } from 'fastify';
import { requireToken } from '../../lib/http/auth.ts';
import { ApiError } from '../../lib/http/errors.ts';
import type { PolicyControl, PolicyMode } from '../../stream-jobs/policy/control.ts';
import { errors } from '../graph/schemas.ts';
import { managedClusterJson, overrideAnswer } from './lookup.ts';
import { clusterParams, managedCluster, managedClusters, maxPin, overrideBody } from './schemas.ts';

export interface OverrideRouteOptions {
  control: PolicyControl;
  token: string | undefined;
}

type OverrideRequest = {
  Params: { cluster: string };
  Body: { mode: PolicyMode; pins: Record<string, number> };
};

const tokenNote = 'Needs `Authorization: Bearer <token>`; refused when the server has no token.';

/** The operator's side: list managed clusters, set or clear one cluster's override. */
export async function overrideRoutes(
  app: FastifyInstance,
  options: OverrideRouteOptions,
): Promise<void> {
  const { control } = options;
  // onRequest rather than preHandler: a caller without the token is refused before the body is
  // validated, so it learns nothing from validation messages.
  const auth = requireToken(options.token);

  app.get(
    '/v1/policy/clusters',
    {
      schema: {
        summary: 'Clusters under the adaptive policy: mode, pinned and configured weights',
        tags: ['policy'],
        response: { 200: managedClusters },
      },
    },
    async () => ({ clusters: control.clusters().map(managedClusterJson) }),
  );

  app.put<OverrideRequest>(
    '/v1/policy/clusters/:cluster',
    {
      onRequest: auth,
      schema: {
        summary: "Replaces a cluster's override: mode (default active) and pinned weights",
        description: `Takes effect at the policy's next interval. ${tokenNote}`,
        tags: ['policy'],
        params: clusterParams,
        body: overrideBody,
        response: { 200: managedCluster, ...errors(400, 401, 404, 422) },
      },
    },
    async (request) => {
      const { cluster } = request.params;
      const { mode, pins } = request.body;
      for (const [endpoint, weight] of Object.entries(pins)) {
        if (!Number.isInteger(weight) || weight < 0 || weight > maxPin) {
          throw new ApiError(
            'BAD_WEIGHT',
            `pinned weight of endpoint ${JSON.stringify(endpoint)} in cluster ${JSON.stringify(cluster)} ` +
              `must be an integer from 0 to ${maxPin}, got ${weight}`,
          );
        }
      }
      return overrideAnswer(
        control.setOverride(cluster, { mode, pins: new Map(Object.entries(pins)) }),
      );
    },
  );

  app.delete<{ Params: { cluster: string } }>(
    '/v1/policy/clusters/:cluster',
    {
      onRequest: auth,
      schema: {
        summary: "Clears a cluster's override: back to active, no pins",
        description: tokenNote,
        tags: ['policy'],
        params: clusterParams,
        response: { 200: managedCluster, ...errors(401, 404, 422) },
      },
    },
    async (request) => overrideAnswer(control.clearOverride(request.params.cluster)),
  );
}
