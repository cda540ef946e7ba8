/**
 * Turns edge-stats.v1 into what the policy reads each interval: the per-endpoint 1 s windows of
 * the managed clusters that arrived since the last `take`, merged across callers (every service
 * calling the cluster counts). Pure: the job feeds it decoded messages and a clock.
 *
 * A window seen twice (the rollup re-emits windows it could not prove were sent before a crash)
 * is counted once: windows are keyed by (source, cluster, endpoint, start).
 */

import type { DDSketch } from '@datadog/sketches-js';
import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { newSketch, sketchFromBytes } from '../rollup/sketch.ts';
import type { ClusterObservation, EndpointObservation } from './types.ts';

interface EndpointTotals {
  requests: number;
  errors: number;
  durationSumUs: number;
  sketch: DDSketch;
}

interface ClusterTotals {
  dataUpToMs: number;
  endpoints: Map<string, EndpointTotals>;
}

/** How long window keys are remembered for duplicate detection. */
const seenForMs = 60_000;

export class ObservationBuffer {
  readonly #clusters = new Map<string, ClusterTotals>();
  readonly #seen = new Map<string, number>();

  /**
   * Adds one EdgeStats message if it is a 1 s endpoint window of a cluster `isManaged` accepts;
   * returns whether it counted.
   */
  add(stats: EdgeStats, isManaged: (cluster: string) => boolean): boolean {
    if (stats.upstreamEndpoint === '' || stats.windowSeconds !== 1) return false;
    const cluster = stats.destinationCluster;
    if (!isManaged(cluster)) return false;
    const key = `${stats.sourceService}\n${cluster}\n${stats.upstreamEndpoint}\n${stats.windowStartMs}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, stats.windowStartMs);

    let totals = this.#clusters.get(cluster);
    if (!totals) {
      totals = { dataUpToMs: 0, endpoints: new Map() };
      this.#clusters.set(cluster, totals);
    }
    totals.dataUpToMs = Math.max(totals.dataUpToMs, stats.windowStartMs + 1_000);
    let endpoint = totals.endpoints.get(stats.upstreamEndpoint);
    if (!endpoint) {
      endpoint = { requests: 0, errors: 0, durationSumUs: 0, sketch: newSketch() };
      totals.endpoints.set(stats.upstreamEndpoint, endpoint);
    }
    endpoint.requests += stats.requests;
    endpoint.errors += stats.status5xx + stats.noResponse;
    endpoint.durationSumUs += stats.durationSumUs;
    if (stats.latencySketch.length > 0) {
      const sketch = sketchFromBytes(stats.latencySketch);
      if (sketch.count > 0) endpoint.sketch.merge(sketch);
    }
    return true;
  }

  /** The cluster's observation since the last take (undefined: nothing arrived), and resets it. */
  take(cluster: string): ClusterObservation | undefined {
    const totals = this.#clusters.get(cluster);
    if (!totals) return undefined;
    this.#clusters.delete(cluster);
    const endpoints: EndpointObservation[] = [];
    for (const [endpoint, t] of totals.endpoints) {
      endpoints.push({
        endpoint,
        requests: t.requests,
        errors: t.errors,
        ...(t.requests > 0 && { latencyMs: latency(t) }),
      });
    }
    return { cluster, dataUpToMs: totals.dataUpToMs, endpoints };
  }

  /** Drops what was gathered for a cluster no longer managed. */
  forget(cluster: string): void {
    this.#clusters.delete(cluster);
  }

  /** Forgets duplicate-detection keys of windows older than a minute before `nowMs`. */
  prune(nowMs: number): void {
    for (const [key, startMs] of this.#seen)
      if (startMs < nowMs - seenForMs) this.#seen.delete(key);
  }
}

function latency(t: EndpointTotals): NonNullable<EndpointObservation['latencyMs']> {
  const mean = t.durationSumUs / t.requests / 1000;
  // A window without a sketch (an old producer) still has its mean.
  const at = (q: number) => (t.sketch.count > 0 ? t.sketch.getValueAtQuantile(q) / 1000 : mean);
  return { mean, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}
