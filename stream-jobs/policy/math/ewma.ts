/**
 * Exponentially decayed, request-weighted statistics of one endpoint.
 *
 * The sums (requests, errors, latency × requests) decay with a half-life in data time, so the
 * estimates are request-weighted EWMAs: an interval with 100 requests counts 100 times as much
 * as one with a single request, and a quiet interval leaves the estimate where it was rather
 * than pulling it towards one noisy sample.
 *
 * Quiet endpoints (a floored endpoint gets ~2% of the traffic) would decay to nothing before
 * enough requests arrive to judge them, and would then stay stuck where they are. So the decay
 * stops short: the sums always keep at least `memoryRequests` requests' worth of the past, which
 * makes a quiet endpoint's estimate "its last memoryRequests requests", however old.
 */
import type { EndpointObservation } from '../types.ts';

export interface EndpointStats {
  /** Decayed request count: how many recent requests the estimates rest on (the evidence). */
  readonly requests: number;
  readonly errors: number;
  /** Decayed count of the requests that came with a latency, and their latency sum (ms). */
  readonly timedRequests: number;
  readonly latencyMsSum: number;
}

export const emptyStats: EndpointStats = Object.freeze({
  requests: 0,
  errors: 0,
  timedRequests: 0,
  latencyMsSum: 0,
});

/** One interval's sample of an endpoint, cleaned of values no pipeline should produce. */
export interface Sample {
  readonly requests: number;
  readonly errors: number;
  /** Mean latency over `requests` in ms, or undefined when none was measured. */
  readonly latencyMs: number | undefined;
}

export function sampleOf(observation: EndpointObservation): Sample {
  const requests = finiteAtLeast0(observation.requests);
  const errors = Math.min(requests, finiteAtLeast0(observation.errors));
  const mean = observation.latencyMs?.mean;
  const latencyMs =
    requests > 0 && mean !== undefined && Number.isFinite(mean) && mean >= 0 ? mean : undefined;
  return { requests, errors, latencyMs };
}

/** 2^(−elapsed/halfLife): the share of the sums that survives `elapsedMs` (1 when ≤ 0). */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs > 0 ? 2 ** (-elapsedMs / halfLifeMs) : 1;
}

/** Decays `stats` by `decay` (but keeps `memoryRequests` of the past, see above), adds `sample`. */
export function foldSample(
  stats: EndpointStats,
  sample: Sample | undefined,
  decay: number,
  memoryRequests: number,
): EndpointStats {
  const added = sample?.requests ?? 0;
  let keep = decay;
  if (stats.requests > 0 && stats.requests * decay + added < memoryRequests) {
    keep = Math.min(1, (memoryRequests - added) / stats.requests);
  }
  const timed = sample?.latencyMs === undefined ? 0 : added;
  return {
    requests: stats.requests * keep + added,
    errors: stats.errors * keep + (sample?.errors ?? 0),
    timedRequests: stats.timedRequests * keep + timed,
    latencyMsSum: stats.latencyMsSum * keep + timed * (sample?.latencyMs ?? 0),
  };
}

export function errorRate(stats: EndpointStats): number {
  return stats.requests > 0 ? stats.errors / stats.requests : 0;
}

/** Mean latency in ms, or undefined when no request brought one. */
export function meanLatencyMs(stats: EndpointStats): number | undefined {
  return stats.timedRequests > 0 ? stats.latencyMsSum / stats.timedRequests : undefined;
}

/** A plain (time-weighted) EWMA step for signals that are not per-request, such as health. */
export function smoothToward(current: number, observed: number, decay: number): number {
  return observed + (current - observed) * decay;
}

function finiteAtLeast0(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
