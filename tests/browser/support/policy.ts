import type { ApiPlugin } from '../../../api/app.ts';
import type {
  Decision,
  DecisionReason,
  EndpointDecision,
} from '../../../stream-jobs/policy/types.ts';

/**
 * A stand-in for the policy API (api/policy/), answering the shapes the page reads:
 * `GET /v1/decisions`, `/v1/decisions/:cluster/history`, `/v1/decisions/:cluster/explain`.
 * `decide` records a new decision, as the policy job would.
 */
export class FakePolicy {
  readonly current = new Map<string, Decision>();
  readonly past = new Map<string, Decision[]>();

  decide(
    cluster: string,
    weights: Record<string, [number, DecisionReason]>,
    reason: DecisionReason = 'adaptive',
  ): Decision {
    const before = this.current.get(cluster);
    const endpoints: EndpointDecision[] = Object.entries(weights).map(
      ([endpoint, [weight, why]]) => ({
        endpoint,
        weight,
        previousWeight: before?.endpoints.find((e) => e.endpoint === endpoint)?.weight ?? weight,
        reason: why,
        inputs: {
          requests: 100,
          errorRate: 0,
          latencyMs: 10,
          dependencyHealth: 1,
          relativeCost: 1,
        },
      }),
    );
    const decidedAtMs = Math.max(Date.now(), (before?.decidedAtMs ?? 0) + 1);
    const decision: Decision = {
      cluster,
      decidedAtMs,
      dataUpToMs: decidedAtMs,
      reason,
      dryRun: false,
      endpoints,
    };
    this.current.set(cluster, decision);
    this.past.set(cluster, [decision, ...(this.past.get(cluster) ?? [])]);
    return decision;
  }

  readonly plugin: ApiPlugin = (app) => {
    app.get('/v1/decisions', async () => ({ decisions: [...this.current.values()] }));
    app.get<{ Params: { cluster: string }; Querystring: { limit?: string } }>(
      '/v1/decisions/:cluster/history',
      async (request) => ({
        decisions: (this.past.get(request.params.cluster) ?? []).slice(
          0,
          Number(request.query.limit ?? 50),
        ),
      }),
    );
    app.get<{ Params: { cluster: string } }>(
      '/v1/decisions/:cluster/explain',
      async (request, reply) => {
        const latest = this.current.get(request.params.cluster);
        if (!latest)
          return reply.status(404).send({ error: { code: 'NO_DECISION', message: 'none' } });
        const lines = latest.endpoints.map(
          (e) => `${e.endpoint}: weight ${e.weight} (was ${e.previousWeight}), ${e.reason}`,
        );
        return { ...latest, lines };
      },
    );
  };
}
