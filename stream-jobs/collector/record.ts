/**
 * One Envoy HTTP access-log entry → one meshgraph AccessLogRecord and its Kafka key (the edge).
 * Pure: no I/O, no clock. Whatever cannot become a trustworthy record comes back as a
 * MalformedEntry with a stable reason code (metric label, DLQ header) and a message naming the
 * field and the value that was wrong. The field rules live in record-fields.ts.
 */

import type { Node } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import {
  AccessLogType,
  type HTTPAccessLogEntry,
} from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import {
  checkedName,
  formatAddress,
  llmUsage,
  type MalformedEntry,
  malformed,
  methodName,
  sourceInstance,
  sourceService,
  timings,
} from './record-fields.ts';
import { responseFlagCodes } from './response-flags.ts';

export {
  ingressSource,
  llmHeaders,
  type MalformedEntry,
  type MalformedReason,
} from './record-fields.ts';

/** Request header naming the caller when the Envoy node's metadata does not. */
export const defaultSourceHeader = 'x-meshgraph-source';

/** Request header naming the calling instance when the Envoy node's metadata does not. */
export const defaultSourceInstanceHeader = 'x-meshgraph-source-instance';

/** The Kafka key of a record: `<source>→<destination>` (U+2192), one edge per partition. */
export function edgeKey(source: string, destination: string): string {
  return `${source}→${destination}`;
}

/**
 * Options for {@link toRecord}.
 * - `sourceHeader` (string, default `x-meshgraph-source`): the logged request header naming the
 *   caller, used when the node's metadata has no `service`. Envoy must log it
 *   (`additional_request_headers_to_log`).
 * - `sourceInstanceHeader` (string, default `x-meshgraph-source-instance`): the logged request
 *   header naming the calling instance ("host:port"), used when the node's metadata has no
 *   `instance`.
 */
export interface RecordOptions {
  sourceHeader?: string;
  sourceInstanceHeader?: string;
}

export interface MappedRecord {
  kind: 'record';
  record: AccessLogRecord;
  key: string;
}

/** A valid entry that is not a finished request (a start-of-request or periodic log). */
export interface IgnoredEntry {
  kind: 'ignored';
  reason: 'not_request_end';
}

// Only these types describe a finished downstream request; counting the others too would count a
// long request several times.
const finalTypes = new Set([AccessLogType.NotSet, AccessLogType.DownstreamEnd]);

/**
 * Maps one entry logged by `node` (the stream's identifier; undefined when none was sent).
 * A request Envoy routed nowhere (NR, NC) has no upstream cluster: it stays a record, with an
 * empty destination and the key `<source>→`, so the caller's error rate still counts it.
 */
export function toRecord(
  entry: HTTPAccessLogEntry,
  node: Node | undefined,
  options: RecordOptions = {},
): MappedRecord | MalformedEntry | IgnoredEntry {
  const common = entry.commonProperties;
  if (!common) return malformed('missing_common_properties', 'entry has no common_properties');
  if (common.intermediateLogEntry || !finalTypes.has(common.accessLogType))
    return { kind: 'ignored', reason: 'not_request_end' };
  const start = common.startTime;
  if (!start || start.seconds < 0 || (start.seconds === 0 && start.nanos <= 0))
    return malformed(
      'missing_start_time',
      'common_properties.start_time is missing or not after 1970-01-01T00:00:00Z',
    );
  const times = timings(common);
  if ('kind' in times) return times;
  const { request, response } = entry;
  const status = response?.responseCode ?? 0;
  if (status !== 0 && (status < 100 || status > 999))
    return malformed(
      'invalid_status',
      `response.response_code ${status} is not a 3-digit HTTP status`,
    );
  const source = sourceService(
    node,
    request?.requestHeaders ?? {},
    options.sourceHeader ?? defaultSourceHeader,
  );
  if (typeof source !== 'string') return source;
  const destination = common.upstreamCluster
    ? checkedName(common.upstreamCluster, 'common_properties.upstream_cluster')
    : '';
  if (typeof destination !== 'string') return destination;
  const llm = llmUsage(response?.responseHeaders ?? {});
  if ('kind' in llm) return llm;

  const record: AccessLogRecord = {
    startTimeUs: start.seconds * 1_000_000 + Math.trunc(start.nanos / 1000),
    sourceService: source,
    destinationCluster: destination,
    upstreamEndpoint: formatAddress(common.upstreamRemoteAddress),
    route: common.routeName,
    method: methodName(request?.requestMethod),
    authority: request?.authority ?? '',
    path: request?.path ?? '',
    status,
    responseFlags: responseFlagCodes(common.responseFlags),
    durationUs: times.durationUs,
    upstreamDurationUs: times.upstreamDurationUs,
    // Body bytes, like Envoy's %BYTES_RECEIVED% / %BYTES_SENT%.
    requestBytes: request?.requestBodyBytes ?? 0,
    responseBytes: response?.responseBodyBytes ?? 0,
    requestId: request?.requestId ?? '',
    nodeId: node?.id ?? '',
    model: llm.model,
    promptTokens: llm.promptTokens,
    completionTokens: llm.completionTokens,
    sourceInstance: sourceInstance(
      node,
      request?.requestHeaders ?? {},
      options.sourceInstanceHeader ?? defaultSourceInstanceHeader,
    ),
  };
  return { kind: 'record', record, key: edgeKey(source, destination) };
}
