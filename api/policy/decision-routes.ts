import type { FastifyInstance } from 'fastify';
import type { PolicyControl } from '../../stream-jobs/policy/control.ts';
import type { Decision } from '../../stream-jobs/policy/types.ts';
import { errors } from '../graph/schemas.ts';
import { parseAt } from '../graph/source.ts';
import { decisionJson, endpointJson, latestDecision, mustBeKnown } from './lookup.ts';
import { clusterParams, decision, decisions, explanation, historyQuery } from './schemas.ts';

export interface DecisionRouteOptions {
  control: PolicyControl;
  explain: (decision: Decision) => string[];
}

type ClusterRequest = { Params: { cluster: string } };

/** The read side: latest decisions, one cluster's history, and a decision in words. */
export async function decisionRoutes(
  app: FastifyInstance,
  options: DecisionRouteOptions,
): Promise<void> {
  const { control, explain } = options;

  app.get(
    '/v1/decisions',
    {
      schema: {
        summary: 'The latest routing decision of every managed cluster that has one',
        tags: ['policy'],
        response: { 200: decisions },
      },
    },
    async () => ({ decisions: control.current().map(decisionJson) }),
  );

  app.get<ClusterRequest>(
    '/v1/decisions/:cluster',
    {
      schema: {
        summary: "One cluster's latest decision: weights, reasons and the inputs behind them",
        tags: ['policy'],
        params: clusterParams,
        response: { 200: decision, ...errors(404) },
      },
    },
    async (request) => decisionJson(latestDecision(control, request.params.cluster)),
  );

  app.get<ClusterRequest & { Querystring: { limit: number; since?: string } }>(
    '/v1/decisions/:cluster/history',
    {
      schema: {
        summary: "One cluster's past decisions, newest first (ClickHouse routing_decisions)",
        tags: ['policy'],
        params: clusterParams,
        querystring: historyQuery,
        response: { 200: decisions, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { cluster } = request.params;
      const { limit, since } = request.query;
      const sinceMs = since === undefined ? undefined : parseAt(since, 'since');
      mustBeKnown(control, cluster);
      const past = await control.history(
        cluster,
        sinceMs === undefined ? { limit } : { sinceMs, limit },
      );
      return { decisions: past.map(decisionJson) };
    },
  );

  app.get<ClusterRequest>(
    '/v1/decisions/:cluster/explain',
    {
      schema: {
        summary: "One cluster's latest decision in words: why each endpoint has its weight",
        tags: ['policy'],
        params: clusterParams,
        response: { 200: explanation, ...errors(404) },
      },
    },
    async (request) => {
      const latest = latestDecision(control, request.params.cluster);
      return {
        cluster: latest.cluster,
        decidedAtMs: latest.decidedAtMs,
        reason: latest.reason,
        lines: explain(latest),
        endpoints: latest.endpoints.map(endpointJson),
      };
    },
  );
}

/** The explainer when none is injected: one line per endpoint, its weight and reason. */
export function explainBriefly(decision: Decision): string[] {
  return decision.endpoints.map(
    (e) => `${e.endpoint}: weight ${e.weight} (was ${e.previousWeight}), ${e.reason}`,
  );
}
