/**
 * Decisions on the wire (routing.v1, protobuf meshgraph.v1.RoutingDecision) and in ClickHouse
 * (`routing_decisions`, one row per decision with parallel endpoint arrays). Pure pairs:
 * encode ∘ decode is the identity on valid decisions, and decode refuses what no policy job
 * could have written, naming the field, so a bad message is dead-lettered, not applied.
 */

import { RoutingDecision } from '../../schemas/gen/meshgraph/meshgraph/v1/routing_decision.ts';
import { isEndpointWeight } from '../../xds-server/mesh-config/types.ts';
import {
  type Decision,
  type DecisionReason,
  decisionReasons,
  type EndpointDecision,
} from './types.ts';

const reasons: ReadonlySet<string> = new Set(decisionReasons);

export class DecisionDecodeError extends Error {
  override name = 'DecisionDecodeError';
}

export function encodeDecision(decision: Decision): Uint8Array {
  return RoutingDecision.encode({
    ...decision,
    endpoints: decision.endpoints.map((e) => ({
      endpoint: e.endpoint,
      weight: e.weight,
      previousWeight: e.previousWeight,
      reason: e.reason,
      ...e.inputs,
    })),
  }).finish();
}

export function decodeDecision(bytes: Uint8Array): Decision {
  let message: RoutingDecision;
  try {
    message = RoutingDecision.decode(bytes);
  } catch (error) {
    throw new DecisionDecodeError(`not a RoutingDecision: ${(error as Error).message}`);
  }
  return checkedDecision({
    cluster: message.cluster,
    decidedAtMs: message.decidedAtMs,
    dataUpToMs: message.dataUpToMs,
    reason: message.reason as DecisionReason,
    dryRun: message.dryRun,
    endpoints: message.endpoints.map((e) => ({
      endpoint: e.endpoint,
      weight: e.weight,
      previousWeight: e.previousWeight,
      reason: e.reason as DecisionReason,
      inputs: {
        requests: e.requests,
        errorRate: e.errorRate,
        latencyMs: e.latencyMs,
        dependencyHealth: e.dependencyHealth,
        relativeCost: e.relativeCost,
      },
    })),
  });
}

/** Throws {@link DecisionDecodeError} naming the first field no policy job would write. */
export function checkedDecision(decision: Decision): Decision {
  const fail = (field: string, value: unknown) => {
    throw new DecisionDecodeError(`decision: ${field} is invalid: ${JSON.stringify(value)}`);
  };
  if (decision.cluster === '') fail('cluster', decision.cluster);
  if (!reasons.has(decision.reason)) fail('reason', decision.reason);
  if (decision.decidedAtMs <= 0) fail('decidedAtMs', decision.decidedAtMs);
  const seen = new Set<string>();
  decision.endpoints.forEach((e: EndpointDecision, i) => {
    if (e.endpoint === '' || seen.has(e.endpoint)) fail(`endpoints[${i}].endpoint`, e.endpoint);
    seen.add(e.endpoint);
    if (!isEndpointWeight(e.weight)) fail(`endpoints[${i}].weight`, e.weight);
    if (!reasons.has(e.reason)) fail(`endpoints[${i}].reason`, e.reason);
  });
  return decision;
}

/** The `routing_decisions` columns, in the order {@link decisionRow} fills them. */
export const decisionColumns = [
  'decided_at',
  'cluster',
  'data_up_to',
  'reason',
  'dry_run',
  'endpoints',
  'weights',
  'previous_weights',
  'endpoint_reasons',
  'requests',
  'error_rates',
  'latency_ms',
  'dependency_health',
  'relative_cost',
] as const;

/**
 * One row of `routing_decisions` (JSONCompactEachRow values). DateTime64(3) goes as UTC text
 * `YYYY-MM-DD hh:mm:ss.mmm`: a JSON number stops at the decimal point, and short epoch strings
 * (`0.000`) are read as dates.
 */
export function decisionRow(d: Decision): unknown[] {
  const map = <T>(f: (e: EndpointDecision) => T) => d.endpoints.map(f);
  return [
    dateTime64(d.decidedAtMs),
    d.cluster,
    dateTime64(d.dataUpToMs),
    d.reason,
    d.dryRun ? 1 : 0,
    map((e) => e.endpoint),
    map((e) => e.weight),
    map((e) => e.previousWeight),
    map((e) => e.reason),
    map((e) => e.inputs.requests),
    map((e) => e.inputs.errorRate),
    map((e) => e.inputs.latencyMs),
    map((e) => e.inputs.dependencyHealth),
    map((e) => e.inputs.relativeCost),
  ];
}

/** A row read back with {@link decisionSelect}. */
export interface DecisionRecord {
  decided_at_ms: number | string;
  cluster: string;
  data_up_to_ms: number | string;
  reason: string;
  dry_run: number;
  endpoints: string[];
  weights: number[];
  previous_weights: number[];
  endpoint_reasons: string[];
  requests: number[];
  error_rates: number[];
  latency_ms: number[];
  dependency_health: number[];
  relative_cost: number[];
}

/** The select list that reads a {@link DecisionRecord}. */
export const decisionSelect = `toUnixTimestamp64Milli(decided_at) AS decided_at_ms, cluster,
  toUnixTimestamp64Milli(data_up_to) AS data_up_to_ms, reason, dry_run, endpoints, weights,
  previous_weights, endpoint_reasons, requests, error_rates, latency_ms, dependency_health,
  relative_cost`;

export function decisionFromRecord(r: DecisionRecord): Decision {
  return checkedDecision({
    cluster: r.cluster,
    decidedAtMs: Number(r.decided_at_ms),
    dataUpToMs: Number(r.data_up_to_ms),
    reason: r.reason as DecisionReason,
    dryRun: r.dry_run === 1,
    endpoints: r.endpoints.map((endpoint, i) => ({
      endpoint,
      weight: r.weights[i] ?? 0,
      previousWeight: r.previous_weights[i] ?? 0,
      reason: (r.endpoint_reasons[i] ?? '') as DecisionReason,
      inputs: {
        requests: r.requests[i] ?? 0,
        errorRate: r.error_rates[i] ?? 0,
        latencyMs: r.latency_ms[i] ?? 0,
        dependencyHealth: r.dependency_health[i] ?? 1,
        relativeCost: r.relative_cost[i] ?? 1,
      },
    })),
  });
}

function dateTime64(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
