import { bottleneckRankings } from '../../stream-jobs/graph/analyses/bottlenecks.ts';
import { quantiles } from '../../stream-jobs/graph/analyses/validate.ts';
import { horizons } from '../../stream-jobs/graph/model.ts';
import {
  bool,
  int,
  list,
  nodeKind,
  nullableNumber,
  num,
  numberMap,
  object,
  str,
  strings,
} from './schemas.ts';

/**
 * Response schemas of the analysis routes, mirroring the result types in
 * stream-jobs/graph/analyses/ (its README.md explains every field). Declared in full: they are
 * flat enough, and a field the schema lacks would be dropped from the answer without a word.
 */

const horizon = { type: 'string', enum: horizons } as const;
const quantile = { type: 'string', enum: quantiles } as const;

/** A query option for the percentile the analysis reads (default p99). */
export const quantileParam = { ...quantile, default: 'p99' } as const;

const affected = object({ node: str, kind: nodeKind, depth: int, share: num, affectedRate: num });

export const blastRadiusResponse = object({
  target: {
    type: 'object',
    description: '`{ node }` or `{ edge: { source, target } }`, as asked.',
    properties: { node: str, edge: object({ source: str, target: str }) },
  },
  horizon,
  callers: list(affected),
  entrypoints: list(affected),
  converged: bool,
});

export const dependenciesResponse = object({
  node: str,
  dependencies: list(object({ node: str, kind: nodeKind, depth: int })),
});

const hop = object({
  from: str,
  to: str,
  latencyMs: num,
  selfMs: num,
  errorRate: nullableNumber,
  callsPerRequest: nullableNumber,
});

export const criticalPathResponse = object({
  entrypoint: str,
  horizon,
  quantile,
  paths: list(object({ nodes: strings, latencyMs: num, hops: list(hop) })),
});

export const bottlenecksResponse = object({
  by: { type: 'string', enum: bottleneckRankings },
  horizon,
  quantile,
  nodes: list(
    object({
      node: str,
      kind: nodeKind,
      score: num,
      rate: num,
      trafficShare: num,
      latencyMs: nullableNumber,
      betweenness: nullableNumber,
      betweennessLatency: nullableNumber,
      servingEndpoints: { type: 'integer', nullable: true },
      saturation: num,
    }),
  ),
});

export const spofResponse = object({
  articulationPoints: list(object({ node: str, components: int })),
  bridges: list({ type: 'array', items: str, minItems: 2, maxItems: 2 }),
  singleEndpointServices: list(object({ service: str, endpoints: int, healthyEndpoints: int })),
});

export const centralityResponse = object({
  pagerank: object({ horizon, weighted: bool, scores: numberMap }),
  betweenness: object({ exact: bool, sources: int, normalized: bool, scores: numberMap }),
});

export const communitiesResponse = object({
  modularity: num,
  communities: list(object({ id: int, members: strings })),
  membership: numberMap,
});

const statsJson = object({
  rate: num,
  errorRate: nullableNumber,
  latencyMs: nullableNumber,
  requests: num,
});

export const rootCauseResponse = object({
  symptom: str,
  horizon,
  baseline: horizon,
  quantile,
  candidates: list(
    object({
      node: str,
      kind: nodeKind,
      depth: int,
      score: num,
      anomaly: num,
      errorScore: num,
      latencyScore: num,
      propagation: num,
      explained: num,
      explainedBy: { type: 'string', nullable: true },
      current: statsJson,
      baseline: statsJson,
      reason: str,
    }),
  ),
  converged: bool,
});
