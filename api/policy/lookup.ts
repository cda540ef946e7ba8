import { ApiError, type ErrorCode } from '../../lib/http/errors.ts';
import type {
  ManagedCluster,
  OverrideResult,
  PolicyControl,
} from '../../stream-jobs/policy/control.ts';
import type { Decision, EndpointDecision } from '../../stream-jobs/policy/types.ts';
import { quoteList } from '../../xds-server/routing/errors.ts';

/** The latest decision of `cluster`, or UNKNOWN_CLUSTER / NO_DECISION naming what exists. */
export function latestDecision(control: PolicyControl, cluster: string): Decision {
  const found = control.current().find((decision) => decision.cluster === cluster);
  if (found) return found;
  mustBeKnown(control, cluster);
  throw new ApiError(
    'NO_DECISION',
    `cluster ${JSON.stringify(cluster)} has no decision yet: its mode is off, or the policy ` +
      'has not run an interval for it since it started',
  );
}

/**
 * Refuses a cluster the policy does not manage. A cluster with a current decision counts even
 * when the mesh config no longer lists it, so its last decision stays readable.
 */
export function mustBeKnown(control: PolicyControl, cluster: string): void {
  const managed = control.clusters().map((c) => c.cluster);
  if (managed.includes(cluster)) return;
  if (control.current().some((decision) => decision.cluster === cluster)) return;
  throw new ApiError(
    'UNKNOWN_CLUSTER',
    `unknown cluster ${JSON.stringify(cluster)}; clusters under the adaptive policy: ${quoteList(managed)}`,
  );
}

/** The control's refusal codes, as the registry names the same refusals of the xds admin API. */
const overrideCodes: Record<Extract<OverrideResult, { ok: false }>['code'], ErrorCode> = {
  'unknown-cluster': 'UNKNOWN_CLUSTER',
  'not-adaptive': 'STATIC_CLUSTER',
  'unknown-endpoint': 'UNKNOWN_ENDPOINT',
  'bad-weight': 'BAD_WEIGHT',
};

/** The changed cluster as JSON, or the refusal as an ApiError (the control's message kept). */
export function overrideAnswer(result: OverrideResult) {
  if (!result.ok) throw new ApiError(overrideCodes[result.code], result.message);
  return managedClusterJson(result.cluster);
}

export function managedClusterJson(cluster: ManagedCluster) {
  return {
    cluster: cluster.cluster,
    mode: cluster.mode,
    pins: Object.fromEntries(cluster.pins),
    staticWeights: Object.fromEntries(cluster.staticWeights),
  };
}

/**
 * A decision as JSON. Inputs that are not finite become null: an EWMA over no traffic may be
 * NaN, and fastify's serialiser throws on NaN (a 500 for a perfectly explainable decision).
 */
export function decisionJson(decision: Decision) {
  return { ...decision, endpoints: decision.endpoints.map(endpointJson) };
}

export function endpointJson(endpoint: EndpointDecision) {
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  const { inputs } = endpoint;
  return {
    ...endpoint,
    inputs: {
      requests: inputs.requests,
      errorRate: finite(inputs.errorRate),
      latencyMs: finite(inputs.latencyMs),
      dependencyHealth: finite(inputs.dependencyHealth),
      relativeCost: finite(inputs.relativeCost),
    },
  };
}
