import { decisionReasons } from '../../stream-jobs/policy/types.ts';
import { maxEndpointWeight } from '../../xds-server/mesh-config/types.ts';
import { int, list, nullableNumber, num, object, query, str } from '../graph/schemas.ts';

/**
 * JSON schemas of the policy routes, mirroring stream-jobs/policy/types.ts and control.ts.
 * Responses are declared field by field because fastify serialises with them: a field left out
 * here would vanish from the answer.
 */

const reasons = decisionReasons;
const reason = { type: 'string', enum: reasons } as const;

export const modes = ['active', 'dry-run', 'off'] as const;
const mode = { type: 'string', enum: modes } as const;

/** endpoint `host:port` → weight. */
const weights = { type: 'object', additionalProperties: int } as const;

export const endpointDecision = object({
  endpoint: str,
  weight: int,
  previousWeight: int,
  reason,
  inputs: {
    ...object({
      requests: num,
      errorRate: nullableNumber,
      latencyMs: nullableNumber,
      dependencyHealth: nullableNumber,
      relativeCost: nullableNumber,
    }),
    description: 'Smoothed inputs (EWMA); null where not a finite number (no traffic yet).',
  },
});

export const decision = object({
  cluster: str,
  decidedAtMs: { type: 'number', description: 'When it was made (ms since the epoch).' },
  dataUpToMs: { type: 'number', description: 'Newest access-log time it rests on; 0 when stale.' },
  reason,
  dryRun: { type: 'boolean', description: 'Computed in dry-run: recorded, never pushed.' },
  endpoints: list(endpointDecision),
});

export const decisions = object({ decisions: list(decision) });

export const explanation = object({
  cluster: str,
  decidedAtMs: num,
  reason,
  lines: { type: 'array', items: str, description: 'Why each weight is what it is, in words.' },
  endpoints: list(endpointDecision),
});

export const managedCluster = object({
  cluster: str,
  mode,
  pins: { ...weights, description: 'Weights an operator pinned (endpoint → 0..128).' },
  staticWeights: { ...weights, description: 'Configured weights: the fail-static fallback.' },
});

export const managedClusters = object({ clusters: list(managedCluster) });

export const clusterParams = {
  type: 'object',
  required: ['cluster'],
  properties: { cluster: { type: 'string', description: 'A cluster under `policy: adaptive`.' } },
} as const;

export const maxPin = maxEndpointWeight;

export const overrideBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { ...mode, default: 'active' },
    pins: {
      type: 'object',
      default: {},
      // Not bounded here: the route answers BAD_WEIGHT naming the endpoint and the value, which
      // a schema failure (BAD_REQUEST, "must be <= 128") would not.
      additionalProperties: { type: 'number' },
      description: `endpoint → pinned weight, an integer from 0 to ${maxPin} (else 400 BAD_WEIGHT).`,
    },
  },
} as const;

export const historyQuery = query({
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: 'Most decisions returned, newest first.',
  },
  since: {
    type: 'string',
    minLength: 1,
    description: 'Only decisions made since this time: ISO 8601 or ms since the epoch.',
  },
});
