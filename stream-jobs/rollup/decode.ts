/**
 * One access-logs.v1 message → a valid AccessLogRecord, or the reason it cannot be rolled up. Pure
 * and deterministic: the same message gets the same verdict whenever it is read. Whatever passes
 * here is a row ClickHouse accepts and a sample the windows can use; whatever fails goes to the
 * dead-letter topic with `reason` (a stable code: metric label and DLQ header) and `message` (what
 * exactly was wrong).
 */

import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';

export type RollupMalformedReason =
  | 'empty_value'
  | 'undecodable_record'
  | 'missing_source'
  | 'missing_destination'
  | 'key_mismatch'
  | 'missing_start_time'
  | 'start_time_in_future'
  | 'negative_duration'
  | 'invalid_status';

export type Decoded =
  | { ok: true; record: AccessLogRecord; edge: string }
  | { ok: false; reason: RollupMalformedReason; message: string };

/**
 * Options for {@link decodeRecord}.
 * - `maxFutureMs` (number, default 300,000 = 5 min): how far past the message's Kafka timestamp
 *   (the producer's clock when it sent the record) a start time may lie. One record from a badly
 *   set clock would otherwise drag its partition's watermark ahead and make every honest record
 *   after it late. The Kafka timestamp, not this process's clock, keeps the verdict the same
 *   when the message is read again after a restart.
 */
export interface DecodeOptions {
  maxFutureMs?: number;
}

/** The edge as access-logs.v1 keys it: `<source>→<destination>` (U+2192). */
export function edgeOf(source: string, destination: string): string {
  return `${source}→${destination}`;
}

const bad = (reason: RollupMalformedReason, message: string): Decoded => ({
  ok: false,
  reason,
  message,
});

/**
 * Checks one message. `key` must be the record's edge: the job's per-edge windows (and every
 * consumer of edge-stats.v1) rely on one edge living in one partition.
 */
export function decodeRecord(
  key: Buffer | null,
  value: Buffer | null,
  sentMs: number,
  options: DecodeOptions = {},
): Decoded {
  if (value === null || value.length === 0)
    return bad('empty_value', 'the message has no value (a tombstone or an empty record)');
  let record: AccessLogRecord;
  try {
    record = AccessLogRecord.decode(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return bad('undecodable_record', `value is not a meshgraph.v1.AccessLogRecord: ${why}`);
  }
  if (record.sourceService === '') return bad('missing_source', 'source_service is empty');
  if (record.destinationCluster === '')
    return bad('missing_destination', 'destination_cluster is empty');
  const edge = edgeOf(record.sourceService, record.destinationCluster);
  const keyText = key?.toString('utf8') ?? '';
  if (keyText !== edge)
    return bad('key_mismatch', `message key '${keyText}' is not the record's edge '${edge}'`);
  if (record.startTimeUs <= 0)
    return bad('missing_start_time', `start_time_us is ${record.startTimeUs}, not a time`);
  const maxFutureMs = options.maxFutureMs ?? 300_000;
  if (record.startTimeUs / 1000 > sentMs + maxFutureMs)
    return bad(
      'start_time_in_future',
      `start_time_us ${record.startTimeUs} is more than ${maxFutureMs} ms after the message was sent (${new Date(sentMs).toISOString()})`,
    );
  if (record.durationUs < 0)
    return bad('negative_duration', `duration_us is negative (${record.durationUs})`);
  if (record.upstreamDurationUs < 0)
    return bad(
      'negative_duration',
      `upstream_duration_us is negative (${record.upstreamDurationUs})`,
    );
  if (record.status !== 0 && (record.status < 100 || record.status > 999))
    return bad('invalid_status', `status ${record.status} is neither 0 nor a 3-digit HTTP status`);
  return { ok: true, record, edge };
}

/**
 * The access_log row of a record (column names of migrations 0001 and 0004): start_time as the
 * integer microseconds (read as such by DateTime64(6)), and where it came from in Kafka.
 */
export function accessLogRow(
  record: AccessLogRecord,
  partition: number,
  offset: number,
): Record<string, unknown> {
  return {
    start_time: record.startTimeUs,
    source_service: record.sourceService,
    destination_cluster: record.destinationCluster,
    upstream_endpoint: record.upstreamEndpoint,
    route: record.route,
    method: record.method,
    authority: record.authority,
    path: record.path,
    status: record.status,
    response_flags: record.responseFlags,
    duration_us: record.durationUs,
    upstream_duration_us: record.upstreamDurationUs,
    request_bytes: record.requestBytes,
    response_bytes: record.responseBytes,
    request_id: record.requestId,
    node_id: record.nodeId,
    model: record.model,
    prompt_tokens: record.promptTokens,
    completion_tokens: record.completionTokens,
    kafka_partition: partition,
    kafka_offset: offset,
  };
}

/** The access_log columns {@link accessLogValues} fills, in its order (those of accessLogRow). */
export const accessLogColumns = [
  'start_time',
  'source_service',
  'destination_cluster',
  'upstream_endpoint',
  'route',
  'method',
  'authority',
  'path',
  'status',
  'response_flags',
  'duration_us',
  'upstream_duration_us',
  'request_bytes',
  'response_bytes',
  'request_id',
  'node_id',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'kafka_partition',
  'kafka_offset',
] as const;

/**
 * {@link accessLogRow} as an array in {@link accessLogColumns} order: the same values, inserted
 * as JSONCompactEachRow (no column name repeated per row).
 */
export function accessLogValues(
  record: AccessLogRecord,
  partition: number,
  offset: number,
): unknown[] {
  return [
    record.startTimeUs,
    record.sourceService,
    record.destinationCluster,
    record.upstreamEndpoint,
    record.route,
    record.method,
    record.authority,
    record.path,
    record.status,
    record.responseFlags,
    record.durationUs,
    record.upstreamDurationUs,
    record.requestBytes,
    record.responseBytes,
    record.requestId,
    record.nodeId,
    record.model,
    record.promptTokens,
    record.completionTokens,
    partition,
    offset,
  ];
}
