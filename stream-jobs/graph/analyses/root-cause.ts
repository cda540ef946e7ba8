import type { Horizon, NodeKind, ServiceGraph } from '../model.ts';
import {
  type AnomalyScores,
  describeAnomaly,
  type StatsJson,
  scoreAnomaly,
  toStatsJson,
} from './anomaly.ts';
import { GraphAnalysisError, quote } from './errors.ts';
import { propagate } from './propagate.ts';
import {
  describeCandidate,
  downstreamClosure,
  explanations,
  propagationSystem,
} from './root-cause-steps.ts';
import { compare, inboundStats, type NodeStats } from './traffic.ts';
import * as v from './validate.ts';

const method = 'rootCause';

export interface RootCauseParams {
  /** The service or entrypoint whose errors or latency rose. */
  symptom: string;
}

/**
 * - `horizon` (Horizon, default '5m'): "now"; `baseline` (Horizon, default '1h'): normal. They
 *   must differ; the baseline should be the longer one.
 * - `quantile` (default 'p99'): the latency signal.
 * - `minErrorRateIncrease` (0..1, default 0.01), `latencyRatio` (≥ 1, default 1.5),
 *   `minRequests` (default 10): anomaly thresholds (see anomaly.ts).
 * - `includeEndpoints` (boolean, default true): also rank single endpoints (`svc/host:port`).
 * - `limit` (integer ≥ 1, default 10): candidates returned.
 */
export interface RootCauseOptions {
  horizon?: Horizon;
  baseline?: Horizon;
  quantile?: v.Quantile;
  minErrorRateIncrease?: number;
  latencyRatio?: number;
  minRequests?: number;
  includeEndpoints?: boolean;
  limit?: number;
}

export interface RootCauseCandidate extends AnomalyScores {
  node: string;
  kind: NodeKind;
  /** Calls from the symptom (an endpoint: its service's depth + 1). */
  depth: number;
  /** anomaly × propagation × (1 − explained). */
  score: number;
  /** Share of its callers' traffic from the symptom that passes only anomalous nodes, 0..1. */
  propagation: number;
  /** How much of its anomaly a more anomalous dependency accounts for, 0..1. */
  explained: number;
  explainedBy: string | null;
  /** The node's stats now and at baseline. */
  current: StatsJson;
  baseline: StatsJson;
  /** One sentence per factor. */
  reason: string;
}

export interface RootCause {
  symptom: string;
  horizon: Horizon;
  baseline: Horizon;
  quantile: v.Quantile;
  /** Best first: score, then anomaly, then deeper, then name. */
  candidates: RootCauseCandidate[];
  converged: boolean;
}

/**
 * Ranks the symptom and its downstream closure as causes. See README.md for the method and the
 * literature (MicroRCA, CauseInfer, MonitorRank). Complexity O(V + E) of the closure.
 */
export function rootCause(
  graph: ServiceGraph,
  params: RootCauseParams,
  options: RootCauseOptions = {},
): RootCause {
  const p = v.checkParams<{ symptom: unknown }>(method, params, ['symptom']);
  const symptom = v.checkNode(graph, method, p.symptom);
  const horizon = v.checkHorizon(method, options.horizon);
  const baseline = v.checkHorizon(method, options.baseline ?? '1h', 'baseline');
  if (baseline === horizon) {
    const detail = `the baseline ${quote(baseline)} must differ from the horizon.`;
    throw new GraphAnalysisError(method, 'INVALID_OPTION', baseline, detail);
  }
  const quantile = v.checkEnum(method, 'quantile', options.quantile, v.quantiles, 'p99');
  const thresholds = {
    minErrorRateIncrease: v.checkNumber(
      method,
      'minErrorRateIncrease',
      options.minErrorRateIncrease,
      0.01,
      { min: 0, max: 1 },
    ),
    latencyRatio: v.checkNumber(method, 'latencyRatio', options.latencyRatio, 1.5, { min: 1 }),
    minRequests: v.checkNumber(method, 'minRequests', options.minRequests, 10, { min: 0 }),
  };
  const includeEndpoints = v.checkBoolean(
    method,
    'includeEndpoints',
    options.includeEndpoints,
    true,
  );
  const limit = v.checkNumber(method, 'limit', options.limit, 10, { min: 1, integer: true });

  const { order, depth, index } = downstreamClosure(graph, symptom, includeEndpoints);
  const n = order.length;
  const stats = order.map((node) => inboundStats(graph, node, [horizon, baseline], quantile));
  const scores = stats.map(([now, normal]) =>
    scoreAnomaly(now as NodeStats, normal as NodeStats, thresholds),
  );
  const anomaly = Float64Array.from(scores, (s) => s.anomaly);

  const { values: propagation, converged } = propagate(
    propagationSystem(graph, order, index, anomaly, horizon),
  );
  const { explained, explainedBy } = explanations(graph, order, index, anomaly);
  const score = Float64Array.from(
    order,
    (_, i) => (anomaly[i] as number) * (propagation[i] as number) * (1 - (explained[i] as number)),
  );

  const ranked = Array.from({ length: n }, (_, i) => i);
  ranked.sort(
    (x, y) =>
      (score[y] as number) - (score[x] as number) ||
      (anomaly[y] as number) - (anomaly[x] as number) ||
      (depth[y] as number) - (depth[x] as number) ||
      compare(order[x] as string, order[y] as string),
  );
  // Sentences only for what is returned: the closure may hold tens of thousands of nodes.
  const candidates = ranked.slice(0, limit).map((i): RootCauseCandidate => {
    const node = order[i] as string;
    const by = explainedBy[i] as number;
    const s = scores[i] as AnomalyScores;
    const [now, normal] = stats[i] as [NodeStats, NodeStats];
    const reason = describeCandidate({
      evidence: describeAnomaly(now, normal, quantile, thresholds, s),
      anomaly: s.anomaly,
      isSymptom: i === 0,
      propagation: propagation[i] as number,
      explained: explained[i] as number,
      explainedBy: by === -1 ? null : (order[by] as string),
      explainerAnomaly: by === -1 ? 0 : (anomaly[by] as number),
    });
    return {
      node,
      kind: graph.getNodeAttribute(node, 'kind'),
      depth: depth[i] as number,
      score: score[i] as number,
      ...s,
      propagation: propagation[i] as number,
      explained: explained[i] as number,
      explainedBy: by === -1 ? null : (order[by] as string),
      current: toStatsJson(now),
      baseline: toStatsJson(normal),
      reason,
    };
  });
  return { symptom, horizon, baseline, quantile, candidates, converged };
}
