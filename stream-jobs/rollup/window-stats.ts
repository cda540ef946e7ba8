/**
 * What one rollup window holds (WindowStats), how a record adds to it, and how a closed window
 * becomes the edge-stats.v1 value. Pure; the windowing itself is in windows.ts.
 */

import type { DDSketch } from '@datadog/sketches-js';
import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { newSketch, sketchToBytes } from './sketch.ts';

/**
 * What one window accumulated; `upstreamEndpoint` '' is the whole edge, or with `sourceInstance`
 * set, one calling instance's requests over the edge.
 */
export interface WindowStats {
  sourceService: string;
  destinationCluster: string;
  upstreamEndpoint: string;
  sourceInstance: string;
  windowStartMs: number;
  windowSeconds: number;
  requests: number;
  status1xx: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  noResponse: number;
  responseFlags: Map<string, number>;
  latency: DDSketch;
  requestBytes: number;
  responseBytes: number;
  promptTokens: number;
  completionTokens: number;
  durationSumUs: number;
  /** The lowest Kafka offset among its records: the commit point may not pass it while open. */
  firstOffset: number;
}

/** Envoy's short flags from "UF,URX"; "-" and empty parts mean none (as in migration 0002). */
export function splitFlags(flags: string): string[] {
  // Most records carry no flag ("-" or ""): skip the split, map and filter.
  if (flags === '' || flags === '-') return [];
  return flags
    .split(',')
    .map((flag) => flag.trim())
    .filter((flag) => flag !== '' && flag !== '-');
}

/** A window of `record`'s edge: the whole edge, one `endpoint` of it, or one calling `instance`. */
export function emptyWindow(
  record: AccessLogRecord,
  group: { endpoint: string; instance: string },
  start: number,
  seconds: number,
  offset: number,
): WindowStats {
  return {
    sourceService: record.sourceService,
    destinationCluster: record.destinationCluster,
    upstreamEndpoint: group.endpoint,
    sourceInstance: group.instance,
    windowStartMs: start,
    windowSeconds: seconds,
    requests: 0,
    status1xx: 0,
    status2xx: 0,
    status3xx: 0,
    status4xx: 0,
    status5xx: 0,
    noResponse: 0,
    responseFlags: new Map(),
    latency: newSketch(),
    requestBytes: 0,
    responseBytes: 0,
    promptTokens: 0,
    completionTokens: 0,
    durationSumUs: 0,
    firstOffset: offset,
  };
}

/** `flags`: splitFlags(r.responseFlags), when the caller already has it (one split per record). */
export function accumulate(
  w: WindowStats,
  r: AccessLogRecord,
  offset: number,
  flags: readonly string[] = splitFlags(r.responseFlags),
): void {
  w.requests += 1;
  const s = r.status;
  if (s === 0) w.noResponse += 1;
  else if (s < 200) w.status1xx += 1;
  else if (s < 300) w.status2xx += 1;
  else if (s < 400) w.status3xx += 1;
  else if (s < 500) w.status4xx += 1;
  else if (s < 600) w.status5xx += 1;
  for (const flag of flags) w.responseFlags.set(flag, (w.responseFlags.get(flag) ?? 0) + 1);
  w.latency.accept(r.durationUs);
  w.requestBytes += r.requestBytes;
  w.responseBytes += r.responseBytes;
  w.promptTokens += r.promptTokens;
  w.completionTokens += r.completionTokens;
  w.durationSumUs += r.durationUs;
  w.firstOffset = Math.min(w.firstOffset, offset);
}

/** A closed window as the edge-stats.v1 value. */
export function toEdgeStats(w: WindowStats): EdgeStats {
  return {
    sourceService: w.sourceService,
    destinationCluster: w.destinationCluster,
    upstreamEndpoint: w.upstreamEndpoint,
    sourceInstance: w.sourceInstance,
    windowStartMs: w.windowStartMs,
    windowSeconds: w.windowSeconds,
    requests: w.requests,
    status1xx: w.status1xx,
    status2xx: w.status2xx,
    status3xx: w.status3xx,
    status4xx: w.status4xx,
    status5xx: w.status5xx,
    noResponse: w.noResponse,
    responseFlags: Object.fromEntries(w.responseFlags),
    latencySketch: sketchToBytes(w.latency),
    requestBytes: w.requestBytes,
    responseBytes: w.responseBytes,
    promptTokens: w.promptTokens,
    completionTokens: w.completionTokens,
    durationSumUs: w.durationSumUs,
  };
}
