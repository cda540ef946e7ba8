import type { Horizon, ServiceGraph } from '../model.ts';
import { LinearSystem } from './propagate.ts';
import { edgeRate, isStructural } from './traffic.ts';

/** The steps of root-cause ranking (root-cause.ts puts them together; README.md explains). */

export interface Closure {
  /** The symptom first, then its downstream closure in BFS order, then their endpoints. */
  order: string[];
  /** Calls from the symptom (an endpoint: its service's + 1). */
  depth: number[];
  index: Map<string, number>;
}

export function downstreamClosure(
  graph: ServiceGraph,
  symptom: string,
  includeEndpoints: boolean,
): Closure {
  const order = [symptom];
  const depth = [0];
  const index = new Map([[symptom, 0]]);
  const add = (node: string, d: number) => {
    index.set(node, order.length);
    order.push(node);
    depth.push(d);
  };
  for (let head = 0; head < order.length; head++) {
    graph.forEachOutEdge(order[head] as string, (_e, a, _s, callee, _sa, calleeAttributes) => {
      if (a.kind === 'calls' && !index.has(callee) && isStructural(calleeAttributes)) {
        add(callee, (depth[head] as number) + 1);
      }
    });
  }
  const services = includeEndpoints ? order.length : 0;
  for (let i = 0; i < services; i++) {
    graph.forEachOutEdge(order[i] as string, (_e, a, _s, endpoint) => {
      if (a.kind === 'hosts' && !index.has(endpoint)) add(endpoint, (depth[i] as number) + 1);
    });
  }
  return { order, depth, index };
}

/**
 * Propagation: the traffic-weighted share of a node's in-closure callers that carry the anomaly
 * (anomalous themselves and carrying it in turn); the symptom (row 0) carries it by premise.
 */
export function propagationSystem(
  graph: ServiceGraph,
  order: readonly string[],
  index: ReadonlyMap<string, number>,
  anomaly: Float64Array,
  horizon: Horizon,
): LinearSystem {
  const system = new LinearSystem();
  const callers: number[] = [];
  const weights: number[] = [];
  order.forEach((node, i) => {
    callers.length = weights.length = 0;
    let total = 0;
    if (i > 0) {
      graph.forEachInEdge(node, (_e, attributes, caller) => {
        const j = index.get(caller);
        if (j === undefined) return;
        const w = edgeRate(attributes, horizon);
        total += w;
        callers.push(j);
        weights.push(w);
      });
    }
    const terms: Array<[number, number]> = [];
    callers.forEach((j, k) => {
      const share = total > 0 ? (weights[k] as number) / total : 1 / callers.length;
      if (j === 0 || (anomaly[j] as number) > 0) terms.push([j, share]);
    });
    system.addRow(i === 0 ? 1 : 0, terms);
  });
  return system;
}

/**
 * Explained: a service is explained by its most anomalous callee (CauseInfer: keep descending while the
 * dependency is at least as anomalous); an endpoint by its own service, since a service-wide
 * fault is better named by the service than by each of its endpoints. explained = min(1, a(d) /
 * a(v)) for the best such d; at equal ratios the more anomalous d, then the name, wins.
 */
export function explanations(
  graph: ServiceGraph,
  order: readonly string[],
  index: ReadonlyMap<string, number>,
  anomaly: Float64Array,
): { explained: Float64Array; explainedBy: Int32Array } {
  const explained = new Float64Array(order.length);
  const explainedBy = new Int32Array(order.length).fill(-1);
  order.forEach((node, i) => {
    const own = anomaly[i] as number;
    if (own === 0) return;
    const consider = (other: string) => {
      const j = index.get(other);
      const theirs = j === undefined ? 0 : (anomaly[j] as number);
      if (j === undefined || theirs === 0) return;
      const ratio = Math.min(1, theirs / own);
      const best = explainedBy[i] as number;
      const bestAnomaly = best === -1 ? -1 : (anomaly[best] as number);
      const better =
        ratio > (explained[i] as number) ||
        (ratio === explained[i] &&
          (theirs > bestAnomaly || (theirs === bestAnomaly && other < (order[best] as string))));
      if (!better) return;
      explained[i] = ratio;
      explainedBy[i] = j;
    };
    if (graph.getNodeAttribute(node, 'kind') === 'endpoint')
      graph.forEachInNeighbor(node, consider);
    else {
      graph.forEachOutEdge(node, (_e, a, _s, callee, _sa, calleeAttributes) => {
        if (a.kind === 'calls' && isStructural(calleeAttributes)) consider(callee);
      });
    }
  });
  return { explained, explainedBy };
}

export interface ReasonParts {
  evidence: string;
  anomaly: number;
  isSymptom: boolean;
  propagation: number;
  explained: number;
  explainedBy: string | null;
  /** The anomaly of `explainedBy`. */
  explainerAnomaly: number;
}

export function describeCandidate(r: ReasonParts): string {
  if (r.anomaly === 0) return r.evidence;
  const parts = [`${r.evidence} (anomaly ${r.anomaly.toFixed(3)})`];
  if (r.isSymptom) parts.push('the symptom itself');
  else if (r.propagation === 0) {
    parts.push('its callers show no anomaly, so it does not reach the symptom');
  } else {
    const share = `${(100 * r.propagation).toFixed(0)}%`;
    parts.push(`${share} of its callers' traffic carries the anomaly to the symptom`);
  }
  if (r.explainedBy === null) parts.push('no more anomalous dependency explains it');
  else {
    const how = r.explained >= 1 ? 'explained' : `${(100 * r.explained).toFixed(0)}% explained`;
    parts.push(`${how} by ${r.explainedBy} (anomaly ${r.explainerAnomaly.toFixed(3)})`);
  }
  return parts.join('; ');
}
