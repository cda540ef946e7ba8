import type { EdgeAttributes, Health } from './model.ts';

/**
 * Thresholds that turn a node's inbound traffic into its health (see {@link healthOf}).
 * - `minRequests` (number, default 20): requests (1 m, decayed) a node needs before an error
 *   rate can call it failing, and an edge needs before its p99 is compared with its baseline;
 *   below it one unlucky request would flip the verdict.
 * - `failingErrorRate` (number, default 0.5): 1 m error rate at or above which the node fails.
 * - `degradedErrorRate` (number, default 0.05): 1 m error rate at or above which it is degraded.
 * - `latencyFactor` (number, default 2): an inbound edge whose 1 m p99 reaches this multiple of
 *   its own 1 h p99 (its baseline) makes the node degraded.
 * - `latencyFloorMs` (number, default 10): p99s below this never count as slow; doubling from
 *   2 to 4 ms is scheduler and GC jitter, not a fault.
 */
export interface HealthOptions {
  minRequests: number;
  failingErrorRate: number;
  degradedErrorRate: number;
  latencyFactor: number;
  latencyFloorMs: number;
}

export const defaultHealthOptions: Readonly<HealthOptions> = {
  minRequests: 20,
  failingErrorRate: 0.5,
  degradedErrorRate: 0.05,
  latencyFactor: 2,
  latencyFloorMs: 10,
};

/** How far back an edge's newest window may end and still count as current traffic. */
const trafficMs = 60_000;

/**
 * A node's health from its inbound edges (`calls` for a service or virtual node, the `hosts`
 * edge for an endpoint) at `atMs`:
 * - `unknown`: no inbound edge had a window ending in the last minute ([atMs − 60 s, atMs]) (decayed counts never
 *   reach zero, so "no traffic" is judged by the newest window, not by the count);
 * - `failing`: error rate over all current inbound traffic ≥ failingErrorRate, with ≥ minRequests;
 * - `degraded`: that error rate ≥ degradedErrorRate, or one current inbound edge (with ≥
 *   minRequests) whose 1 m p99 ≥ latencyFactor × its own 1 h p99 and ≥ latencyFloorMs. Each
 *   edge against its own baseline: a node's merged p99 would move when a slow caller merely
 *   calls more, without anything getting slower;
 * - `healthy` otherwise.
 * The ingress has no inbound edges, so it stays `unknown`.
 */
export function healthOf(
  inbound: readonly EdgeAttributes[],
  atMs: number,
  options: HealthOptions = defaultHealthOptions,
): Health {
  const current = inbound.filter((edge) => edge.lastSeenMs >= atMs - trafficMs);
  if (current.length === 0) return 'unknown';
  let requests = 0;
  let errors = 0;
  for (const edge of current) {
    requests += edge.stats['1m'].requests;
    errors += edge.stats['1m'].requests * edge.stats['1m'].errorRate;
  }
  const errorRate = requests > 0 ? errors / requests : 0;
  if (requests >= options.minRequests && errorRate >= options.failingErrorRate) return 'failing';
  if (errorRate >= options.degradedErrorRate) return 'degraded';
  const slow = current.some((edge) => {
    const { requests: n, p99 } = edge.stats['1m'];
    const baseline = edge.stats['1h'].p99;
    return (
      n >= options.minRequests &&
      p99 >= options.latencyFloorMs &&
      p99 >= options.latencyFactor * baseline
    );
  });
  return slow ? 'degraded' : 'healthy';
}
