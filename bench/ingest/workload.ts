/**
 * The synthetic access-log entries: what one Envoy sidecar per ALS stream would log. Each
 * stream is one node (service `svc-<k>`), calling 8 upstream clusters in turn, so streams × 8
 * edges spread over the topic's partitions; durations vary so the rollup's sketches do work.
 */

import { RequestMethod } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import {
  AccessLogType,
  HTTPAccessLogEntry,
} from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import { StreamAccessLogsMessage } from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';

export const destinations = ['api', 'cart', 'catalog', 'search', 'auth', 'llm', 'users', 'pay'];

/** The first message on stream `k`: the node identifier, as Envoy sends it. */
export function identifierMessage(k: number): Uint8Array {
  const node = { id: `envoy-svc-${k}`, cluster: `svc-${k}`, metadata: { service: `svc-${k}` } };
  return StreamAccessLogsMessage.encode(
    StreamAccessLogsMessage.fromPartial({ identifier: { node, logName: 'mesh' } }),
  ).finish();
}

const templates = destinations.map((cluster) =>
  HTTPAccessLogEntry.fromPartial({
    commonProperties: {
      upstreamCluster: cluster,
      upstreamRemoteAddress: { socketAddress: { address: '10.0.0.7', portValue: 8080 } },
      routeName: `${cluster}-route`,
      accessLogType: AccessLogType.DownstreamEnd,
    },
    request: { requestMethod: RequestMethod.GET, path: `/${cluster}/items`, authority: cluster },
    response: { responseCode: 200 },
  }),
);

/**
 * One ALS message holding records `first` .. `first + count − 1`; record i's start_time is its
 * scheduled send time `t0 + i / rate` (wall clock, ms), so lag downstream is measured from when
 * it was due, whether or not the client kept up (no coordinated omission).
 */
export function entriesMessage(first: number, count: number, t0: number, rate: number) {
  const logEntry: HTTPAccessLogEntry[] = [];
  for (let i = first; i < first + count; i++) {
    const template = templates[i % templates.length] as HTTPAccessLogEntry;
    const startMs = t0 + (i * 1000) / rate;
    const seconds = Math.floor(startMs / 1000);
    const nanos = Math.floor((startMs - seconds * 1000) * 1e6);
    // Mostly fast, a slow tail: 1..8 ms, 2% at 40..100 ms.
    const durationNs = (i % 50 === 0 ? 40 + (i % 61) : 1 + (i % 8)) * 1_000_000;
    logEntry.push({
      ...template,
      commonProperties: {
        ...(template.commonProperties as NonNullable<HTTPAccessLogEntry['commonProperties']>),
        startTime: { seconds, nanos },
        duration: { seconds: 0, nanos: durationNs },
      },
      request: {
        ...(template.request as NonNullable<HTTPAccessLogEntry['request']>),
        requestId: `r-${i.toString(36)}-${seconds.toString(36)}`,
      },
    });
  }
  return StreamAccessLogsMessage.encode({ httpLogs: { logEntry } }).finish();
}
