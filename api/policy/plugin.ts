import type { PolicyControl } from '../../stream-jobs/policy/control.ts';
import type { Decision } from '../../stream-jobs/policy/types.ts';
import type { ApiPlugin } from '../app.ts';
import { decisionRoutes, explainBriefly } from './decision-routes.ts';
import { overrideRoutes } from './override-routes.ts';

/**
 * Options for {@link policyApiPlugin}.
 * - `explain` ((decision) => string[], default one line per endpoint, "endpoint: weight W (was
 *   P), reason"): the words `/v1/decisions/:cluster/explain` answers with; in production the
 *   policy's `explainDecision` (stream-jobs/policy/math/explain.ts).
 */
export interface PolicyApiOptions {
  explain?: (decision: Decision) => string[];
}

/**
 * The policy API over a running policy job's {@link PolicyControl}; pass it to createApiApp's
 * `extraPlugins`. Errors answer `{ error: { code, message } }` (lib/http/errors.ts).
 *
 * Decisions (read-only):
 * - `GET /v1/decisions` → `{ decisions }`, the latest of every managed cluster that has one.
 * - `GET /v1/decisions/:cluster` → one decision; 404 UNKNOWN_CLUSTER, 404 NO_DECISION.
 * - `GET /v1/decisions/:cluster/history?limit=1..1000 (100)&since=ISO|ms` → `{ decisions }`,
 *   newest first; 400 BAD_REQUEST (limit, since), 404 UNKNOWN_CLUSTER.
 * - `GET /v1/decisions/:cluster/explain` → `{ cluster, decidedAtMs, reason, lines, endpoints }`;
 *   404 UNKNOWN_CLUSTER, 404 NO_DECISION.
 *
 * Overrides (PUT and DELETE need `Authorization: Bearer <token>`, 401 UNAUTHORIZED otherwise,
 * and are refused outright when the server has no token, as the xds admin API does):
 * - `GET /v1/policy/clusters` → `{ clusters: [{ cluster, mode, pins, staticWeights }] }`.
 * - `PUT /v1/policy/clusters/:cluster` with `{ mode?: active|dry-run|off, pins?: { endpoint:
 *   0..128 } }` replaces the whole override (mode defaults to active) → the cluster;
 *   400 BAD_REQUEST (unknown key, bad mode), 400 BAD_WEIGHT, 404 UNKNOWN_CLUSTER,
 *   422 STATIC_CLUSTER (policy static), 422 UNKNOWN_ENDPOINT.
 * - `DELETE /v1/policy/clusters/:cluster` → back to active without pins → the cluster;
 *   404 UNKNOWN_CLUSTER, 422 STATIC_CLUSTER.
 */
export function policyApiPlugin(control: PolicyControl, options: PolicyApiOptions = {}): ApiPlugin {
  const explain = options.explain ?? explainBriefly;
  return async (app, shared) => {
    await app.register(decisionRoutes, { control, explain });
    await app.register(overrideRoutes, { control, token: shared.token });
  };
}
