import { describe, expect, it } from 'vitest';
import {
  blastRadius,
  bottlenecks,
  centrality,
  criticalPath,
  dependencies,
  GraphAnalysisError,
  pagerank,
  rootCause,
} from '../../stream-jobs/graph/analyses/index.ts';
import type { Horizon } from '../../stream-jobs/graph/model.ts';
import { mesh } from '../support/graph-mesh.ts';

// The analyses' errors name the method and quote the bad value.
// Fixture: tests/support/graph-mesh.ts.

const graph = mesh();

describe('errors name the method and quote the value', () => {
  const errorOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(GraphAnalysisError);
      return (error as GraphAnalysisError).toJSON();
    }
    throw new Error('expected a GraphAnalysisError');
  };

  it('unknown node', () => {
    expect(errorOf(() => blastRadius(graph, { node: 'nope' }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'UNKNOWN_NODE',
      method: 'blastRadius',
      value: 'nope',
      message: 'blastRadius: the node "nope" is not in the graph.',
    });
    expect(errorOf(() => dependencies(graph, { node: 'ghost' }))).toMatchObject({
      method: 'dependencies',
      code: 'UNKNOWN_NODE',
      value: 'ghost',
    });
    expect(errorOf(() => criticalPath(graph, { entrypoint: 'ghost' }))).toMatchObject({
      method: 'criticalPath',
      code: 'UNKNOWN_NODE',
    });
    expect(errorOf(() => rootCause(graph, { symptom: 42 as unknown as string }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'UNKNOWN_NODE',
      method: 'rootCause',
      value: 42,
      message: 'rootCause: the node 42 is not in the graph.',
    });
  });

  it('unknown edge, bad params, bad horizon, bad options', () => {
    expect(errorOf(() => blastRadius(graph, { edge: { source: 'web', target: 'db' } }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'UNKNOWN_EDGE',
      method: 'blastRadius',
      value: { source: 'web', target: 'db' },
      message: 'blastRadius: there is no edge "web" → "db" in the graph.',
    });
    expect(errorOf(() => blastRadius(graph, {} as { node: string }))).toMatchObject({
      code: 'INVALID_PARAMS',
      message: 'blastRadius: params {} must name exactly one of node or edge.',
    });
    expect(
      errorOf(() => rootCause(graph, { symptom: 'web' }, { horizon: '2m' as Horizon })),
    ).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_HORIZON',
      method: 'rootCause',
      value: '2m',
      message: 'rootCause: invalid horizon "2m" (expected one of 1m, 5m, 1h).',
    });
    expect(errorOf(() => rootCause(graph, { symptom: 'web' }, { baseline: '5m' }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'rootCause: the baseline "5m" must differ from the horizon.',
    });
    expect(
      errorOf(() => criticalPath(graph, { entrypoint: 'web' }, { quantile: 'p42' as 'p99' })),
    ).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_OPTION',
      method: 'criticalPath',
      value: 'p42',
      message: 'criticalPath: invalid option quantile "p42" (expected one of p50, p90, p99, p999).',
    });
    expect(errorOf(() => dependencies(graph, { node: 'web' }, { maxDepth: 0 }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'dependencies: invalid option maxDepth 0 (expected an integer ≥ 1).',
    });
    expect(errorOf(() => bottlenecks(graph, { by: 'betweenness-latency' }, { k: 0 }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_OPTION',
      method: 'bottlenecks',
      value: 0,
      message: 'bottlenecks: invalid option k 0 (expected an integer ≥ 1).',
    });
    expect(errorOf(() => centrality(graph, {}, { alpha: 2 }))).toMatchObject({
      code: 'INVALID_OPTION',
      method: 'centrality',
      value: 2,
    });
    expect(errorOf(() => pagerank(graph, {}, { maxIterations: 1 }))).toMatchObject({
      code: 'NOT_CONVERGED',
      method: 'pagerank',
      value: 1,
    });
    expect(errorOf(() => bottlenecks(graph, { by: 'fame' as 'traffic' }))).toEqual({
      name: 'GraphAnalysisError',
      code: 'INVALID_PARAMS',
      method: 'bottlenecks',
      value: 'fame',
      message:
        'bottlenecks: invalid param by "fame" (expected one of traffic, betweenness-latency, saturation).',
    });
  });
});
