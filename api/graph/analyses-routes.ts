import { ApiError } from '../../lib/http/errors.ts';
import {
  blastRadius,
  bottleneckRankings,
  bottlenecks,
  centrality,
  communities,
  criticalPath,
  dependencies,
  rootCause,
  singlePointsOfFailure,
} from '../../stream-jobs/graph/analyses/index.ts';
import type { ServiceGraph } from '../../stream-jobs/graph/model.ts';
import * as s from './analyses-schemas.ts';
import { bool, horizonParam } from './schemas.ts';

/**
 * The analysis routes as data: path, querystring fields (the analysis's params and options,
 * with its defaults and ranges, so OpenAPI documents them and a bad value is a 400 before the
 * analysis runs), response schema, and the call.
 */

// biome-ignore lint/suspicious/noExplicitAny: each route's querystring is validated by its schema
export type Query = Record<string, any>;

export interface AnalysisRoute {
  path: string;
  summary: string;
  query: Record<string, unknown>;
  required?: string[];
  response: unknown;
  run: (graph: ServiceGraph, q: Query) => unknown;
}

const horizon = horizonParam('5m', 'The statistics the analysis reads.');
const node = { type: 'string', minLength: 1 } as const;
const seed = {
  type: 'integer',
  default: 1,
  description: 'Seeds the sampling: same seed, same answer.',
};
const weighted = { ...bool, default: true, description: 'Weigh call edges by their rate.' };

/** `source→target` (or `source->target`, easier to type in a URL) into its two ends. */
export function parseEdge(value: string): { source: string; target: string } {
  const arrow = value.includes('→') ? '→' : '->';
  const at = value.indexOf(arrow);
  const source = value.slice(0, Math.max(at, 0));
  const target = value.slice(at + arrow.length);
  if (at <= 0 || target === '') {
    throw new ApiError(
      'BAD_REQUEST',
      `querystring/edge must be "source→target" (or "source->target"), got ${JSON.stringify(value)}`,
    );
  }
  return { source, target };
}

/** The routes; `capacityRps` feeds `bottlenecks?by=saturation`. */
export function analysisRoutes(
  capacityRps: (() => Record<string, number>) | undefined,
): AnalysisRoute[] {
  return [
    {
      path: '/v1/analyses/blast-radius',
      summary:
        'Everything that fails with a node, an endpoint or one call edge (exactly one of them)',
      query: {
        node,
        edge: { ...node, description: '`source→target` or `source->target`' },
        horizon,
      },
      response: s.blastRadiusResponse,
      run: (graph, q) => {
        if ((q.node === undefined) === (q.edge === undefined)) {
          throw new ApiError('BAD_REQUEST', 'querystring must have exactly one of node, edge');
        }
        const target = q.node !== undefined ? { node: q.node } : { edge: parseEdge(q.edge) };
        return blastRadius(graph, target, { horizon: q.horizon });
      },
    },
    {
      path: '/v1/analyses/dependencies',
      summary: "A node's downstream closure over calls, nearest first",
      query: {
        node,
        maxDepth: { type: 'integer', minimum: 0, description: 'Default: no limit.' },
        includeEndpoints: { ...bool, default: false },
      },
      required: ['node'],
      response: s.dependenciesResponse,
      run: (graph, q) =>
        dependencies(
          graph,
          { node: q.node },
          { maxDepth: q.maxDepth, includeEndpoints: q.includeEndpoints },
        ),
    },
    {
      path: '/v1/analyses/critical-path',
      summary: 'The calls that dominate end-to-end latency from an entrypoint',
      query: {
        entrypoint: node,
        horizon,
        quantile: s.quantileParam,
        tolerance: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
        maxPaths: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
      },
      required: ['entrypoint'],
      response: s.criticalPathResponse,
      run: (graph, { entrypoint, at: _at, ...options }) =>
        criticalPath(graph, { entrypoint }, options),
    },
    {
      path: '/v1/analyses/bottlenecks',
      summary: 'Service and virtual nodes ranked by traffic, betweenness × latency or saturation',
      query: {
        by: { type: 'string', enum: bottleneckRankings, default: 'traffic' },
        horizon,
        quantile: s.quantileParam,
        limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 20 },
        seed,
      },
      response: s.bottlenecksResponse,
      run: (graph, { by, at: _at, ...options }) =>
        bottlenecks(graph, { by }, { ...options, capacityRps: capacityRps?.() }),
    },
    {
      path: '/v1/analyses/spof',
      summary: 'Single points of failure: articulation points, bridges, single-endpoint services',
      query: {},
      response: s.spofResponse,
      run: (graph) => singlePointsOfFailure(graph),
    },
    {
      path: '/v1/analyses/centrality',
      summary: 'PageRank and betweenness of the call structure',
      query: {
        horizon,
        weighted,
        k: { type: 'integer', minimum: 1, description: 'Betweenness sources sampled.' },
        seed,
      },
      response: s.centralityResponse,
      run: (graph, { at: _at, ...options }) => centrality(graph, {}, options),
    },
    {
      path: '/v1/analyses/communities',
      summary: 'Communities of the call structure (Louvain)',
      query: {
        horizon,
        weighted,
        resolution: { type: 'number', minimum: 0, default: 1, description: 'Must be > 0.' },
        seed,
      },
      response: s.communitiesResponse,
      run: (graph, { at: _at, ...options }) => communities(graph, {}, options),
    },
    {
      path: '/v1/analyses/root-cause',
      summary: 'Ranks the symptom and its dependencies as causes of its errors or latency',
      query: {
        symptom: node,
        horizon,
        baseline: horizonParam('1h', 'The longer horizon each node is compared with.'),
        quantile: s.quantileParam,
        includeEndpoints: { ...bool, default: true },
        limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 10 },
      },
      required: ['symptom'],
      response: s.rootCauseResponse,
      run: (graph, { symptom, at: _at, ...options }) => rootCause(graph, { symptom }, options),
    },
  ];
}
