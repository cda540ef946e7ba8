import type { Horizon, ServiceGraph } from '../model.ts';
import { compare, edgeRate, jsonNumber, nodeTraffic } from './traffic.ts';
import {
  checkEnum,
  checkHorizon,
  checkNode,
  checkNumber,
  checkParams,
  type Quantile,
  quantiles,
} from './validate.ts';

const method = 'criticalPath';

export interface CriticalPathParams {
  /** Where the requests start: usually `ingress` or a service it calls; any node is accepted. */
  entrypoint: string;
}

/**
 * - `horizon` (Horizon, default '5m'): the stats to read.
 * - `quantile` ('p50' | 'p90' | 'p99' | 'p999', default 'p99'): the latency that dominates.
 * - `tolerance` (0..1, default 0.1): also follow a call within this fraction of the slowest
 *   sibling, since near-ties are within measurement noise; 0 gives one path.
 * - `maxPaths` (integer ≥ 1, default 3): stop after this many paths.
 */
export interface CriticalPathOptions {
  horizon?: Horizon;
  quantile?: Quantile;
  tolerance?: number;
  maxPaths?: number;
}

export interface PathHop {
  from: string;
  to: string;
  /** The hop's latency at the quantile, as the caller measured it (includes everything below). */
  latencyMs: number;
  /** Time in `to` itself on this path: this hop minus the next one (≥ 0); the last hop whole. */
  selfMs: number;
  errorRate: number | null;
  /** Calls on this edge per request the caller receives; null when the caller's rate is 0. */
  callsPerRequest: number | null;
}

export interface LatencyPath {
  nodes: string[];
  /** The first hop's latency (0 when the entrypoint makes no measured calls). */
  latencyMs: number;
  hops: PathHop[];
}

export interface CriticalPath {
  entrypoint: string;
  horizon: Horizon;
  quantile: Quantile;
  /** `paths[0]` follows the slowest call at every step; the others branch at near-ties. */
  paths: LatencyPath[];
}

interface Candidate {
  to: string;
  latencyMs: number;
  errorRate: number | null;
  rate: number;
}

/**
 * The calls that dominate end-to-end latency from an entrypoint. A caller-side latency includes
 * the callee's own downstream calls, so the critical path descends greedily to the slowest call
 * at each step (as trace critical-path analysis picks the last-finishing child span), never
 * revisiting a node. Calls without latency data are skipped.
 * Complexity: O(maxPaths × depth × d log d) for out-degree d.
 */
export function criticalPath(
  graph: ServiceGraph,
  params: CriticalPathParams,
  options: CriticalPathOptions = {},
): CriticalPath {
  const p = checkParams<{ entrypoint: unknown }>(method, params, ['entrypoint']);
  const entrypoint = checkNode(graph, method, p.entrypoint);
  const horizon = checkHorizon(method, options.horizon);
  const quantile = checkEnum(method, 'quantile', options.quantile, quantiles, 'p99');
  const tolerance = checkNumber(method, 'tolerance', options.tolerance, 0.1, { min: 0, max: 1 });
  const maxPaths = checkNumber(method, 'maxPaths', options.maxPaths, 3, { min: 1, integer: true });

  const onPath = new Set<string>();
  const candidates = (node: string): Candidate[] => {
    const list: Candidate[] = [];
    graph.forEachOutEdge(node, (_e, a, _s, to) => {
      const stats = a.stats[horizon];
      const latencyMs = stats?.[quantile];
      if (a.kind !== 'calls' || onPath.has(to) || !Number.isFinite(latencyMs)) return;
      const errorRate = jsonNumber(stats?.errorRate ?? Number.NaN);
      list.push({ to, latencyMs: latencyMs as number, errorRate, rate: edgeRate(a, horizon) });
    });
    list.sort((a, b) => b.latencyMs - a.latencyMs || compare(a.to, b.to));
    const floor = (1 - tolerance) * (list[0]?.latencyMs ?? 0);
    return list.filter((c) => c.latencyMs >= floor);
  };

  // Iterative DFS (paths may be thousands of hops deep in a generated graph).
  const paths: LatencyPath[] = [];
  const hops: Array<Candidate & { from: string }> = [];
  const stack = [{ node: entrypoint, next: candidates(entrypoint), i: 0 }];
  onPath.add(entrypoint);
  while (stack.length > 0 && paths.length < maxPaths) {
    const frame = stack[stack.length - 1] as (typeof stack)[number];
    if (frame.next.length === 0) paths.push(toPath(graph, horizon, entrypoint, hops));
    const chosen = frame.next[frame.i++];
    if (chosen === undefined) {
      stack.pop();
      hops.pop();
      onPath.delete(frame.node);
      continue;
    }
    hops.push({ ...chosen, from: frame.node });
    onPath.add(chosen.to);
    stack.push({ node: chosen.to, next: candidates(chosen.to), i: 0 });
  }
  return { entrypoint, horizon, quantile, paths };
}

function toPath(
  graph: ServiceGraph,
  horizon: Horizon,
  entrypoint: string,
  hops: ReadonlyArray<Candidate & { from: string }>,
): LatencyPath {
  const result: PathHop[] = hops.map((hop, k) => {
    const next = hops[k + 1]?.latencyMs ?? 0;
    const callerRate = nodeTraffic(graph, hop.from, horizon);
    return {
      from: hop.from,
      to: hop.to,
      latencyMs: hop.latencyMs,
      selfMs: Math.max(0, hop.latencyMs - next),
      errorRate: hop.errorRate,
      callsPerRequest: callerRate > 0 ? hop.rate / callerRate : null,
    };
  });
  return {
    nodes: [entrypoint, ...hops.map((h) => h.to)],
    latencyMs: hops[0]?.latencyMs ?? 0,
    hops: result,
  };
}
