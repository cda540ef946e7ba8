/**
 * Turns edge-stats.v1 into what the policy reads each interval: the per-endpoint 1 s windows of
 * the managed clusters that arrived since the last `take`, merged across callers (every service
 * calling the cluster counts), and each endpoint's dependency health, from the 1 s windows of
 * the calls that endpoint made itself. Pure: the job feeds it decoded messages and a clock.
 *
 * Two kinds of window count, both 1 s:
 * - endpoint windows (`upstreamEndpoint` set, `sourceInstance` empty): requests TO an endpoint
 *   of a managed cluster X, from any caller;
 * - instance windows (`sourceInstance` set, `upstreamEndpoint` empty, `sourceService` = X):
 *   calls made BY one endpoint of X (its `host:port` as X lists it) to some cluster D. They
 *   become that endpoint's `dependencyHealth` (dependency-health.ts).
 * Edge totals (neither set) and anything else are ignored.
 *
 * A window seen twice (the rollup re-emits windows it could not prove were sent before a crash)
 * is counted once: windows are keyed by (source, source instance, cluster, endpoint, start).
 */

import type { DDSketch } from '@datadog/sketches-js';
import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { newSketch, sketchFromBytes } from '../rollup/sketch.ts';
import {
  type CallTotals,
  type DependencyHealthOptions,
  dependencyHealthOf,
} from './dependency-health.ts';
import { defaultPolicyOptions } from './options.ts';
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

/** One instance window: the calls of `instance` (an endpoint of the cluster) to `destination`. */
interface CallWindow extends CallTotals {
  readonly instance: string;
  readonly destination: string;
  readonly startMs: number;
}

/** How long window keys are remembered for duplicate detection. */
const seenForMs = 60_000;

/**
 * Dependency health is judged on the instance windows of the last this-many ms of data (ending
 * at the newest window seen), not on one interval's: an endpoint the policy turned down makes
 * few calls (at the floor, 2% of 200 req/s is 4 a second), and judging it on one second's would
 * acquit it on thin evidence, send it traffic back, and condemn it again. It also absorbs
 * instance windows landing an interval apart from the endpoint windows (other partitions).
 */
export const dependencyWindowMs = 5_000;

export class ObservationBuffer {
  readonly #clusters = new Map<string, ClusterTotals>();
  /** cluster → the instance windows of its endpoints' calls, the last `dependencyWindowMs`. */
  readonly #calls = new Map<string, CallWindow[]>();
  readonly #seen = new Map<string, number>();

  constructor(private readonly options: DependencyHealthOptions = defaultPolicyOptions) {}

  /**
   * Adds one EdgeStats message if it is a 1 s endpoint window of a cluster `isManaged` accepts,
   * or a 1 s instance window of a call made by one of its endpoints; returns whether it counted.
   */
  add(stats: EdgeStats, isManaged: (cluster: string) => boolean): boolean {
    if (stats.windowSeconds !== 1) return false;
    const own = stats.upstreamEndpoint !== '' && stats.sourceInstance === '';
    const call = stats.sourceInstance !== '' && stats.upstreamEndpoint === '';
    if (!own && !call) return false;
    // An instance window belongs to its caller's cluster, an endpoint window to its callee's.
    const cluster = own ? stats.destinationCluster : stats.sourceService;
    if (!isManaged(cluster)) return false;
    const key = [
      stats.sourceService,
      stats.sourceInstance,
      stats.destinationCluster,
      stats.upstreamEndpoint,
      stats.windowStartMs,
    ].join('\n');
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, stats.windowStartMs);

    const errors = stats.status5xx + stats.noResponse;
    if (call) {
      let calls = this.#calls.get(cluster);
      if (!calls) {
        calls = [];
        this.#calls.set(cluster, calls);
      }
      calls.push({
        instance: stats.sourceInstance,
        destination: stats.destinationCluster,
        startMs: stats.windowStartMs,
        requests: stats.requests,
        errors,
        durationSumUs: stats.durationSumUs,
      });
      return true;
    }
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
    endpoint.errors += errors;
    endpoint.durationSumUs += stats.durationSumUs;
    if (stats.latencySketch.length > 0) {
      const sketch = sketchFromBytes(stats.latencySketch);
      if (sketch.count > 0) endpoint.sketch.merge(sketch);
    }
    return true;
  }

  /**
   * The cluster's observation since the last take (undefined: no endpoint window arrived), and
   * resets it. Its `dependencyHealth` rests on the instance windows of the last
   * `dependencyWindowMs`, and names only endpoints below 1 (no calls seen: 1).
   */
  take(cluster: string): ClusterObservation | undefined {
    const totals = this.#clusters.get(cluster);
    this.#clusters.delete(cluster);
    const calls = this.#recentCalls(cluster, totals?.dataUpToMs ?? 0);
    if (!totals) return undefined;
    const endpoints: EndpointObservation[] = [];
    for (const [endpoint, t] of totals.endpoints) {
      endpoints.push({
        endpoint,
        requests: t.requests,
        errors: t.errors,
        ...(t.requests > 0 && { latencyMs: latency(t) }),
      });
    }
    const health = dependencyHealthOf(calls, this.options);
    for (const [endpoint, h] of health) if (h >= 1) health.delete(endpoint);
    return {
      cluster,
      dataUpToMs: totals.dataUpToMs,
      endpoints,
      ...(health.size > 0 && { dependencyHealth: health }),
    };
  }

  /**
   * Drops the cluster's instance windows ending `dependencyWindowMs` or more before the newest
   * data (its own or its calls'), and sums up the rest: instance → destination → calls.
   */
  #recentCalls(cluster: string, dataUpToMs: number): Map<string, Map<string, CallTotals>> {
    const sums = new Map<string, Map<string, CallTotals>>();
    const windows = this.#calls.get(cluster);
    if (!windows) return sums;
    let newestMs = dataUpToMs;
    for (const w of windows) newestMs = Math.max(newestMs, w.startMs + 1_000);
    const kept = windows.filter((w) => w.startMs + 1_000 > newestMs - dependencyWindowMs);
    if (kept.length > 0) this.#calls.set(cluster, kept);
    else this.#calls.delete(cluster);
    for (const w of kept) {
      let byDestination = sums.get(w.instance);
      if (!byDestination) {
        byDestination = new Map();
        sums.set(w.instance, byDestination);
      }
      const sum = byDestination.get(w.destination) ?? { requests: 0, errors: 0, durationSumUs: 0 };
      sum.requests += w.requests;
      sum.errors += w.errors;
      sum.durationSumUs += w.durationSumUs;
      byDestination.set(w.destination, sum);
    }
    return sums;
  }

  /** Drops what was gathered for a cluster no longer managed. */
  forget(cluster: string): void {
    this.#clusters.delete(cluster);
    this.#calls.delete(cluster);
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

export { type CallTotals, type DependencyHealthOptions, dependencyHealthOf };
