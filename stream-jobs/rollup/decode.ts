/**
 * One access-logs.v2 message → its valid AccessLogRecords, and for each part that cannot be rolled
 * up the reason. Pure and deterministic: the same message gets the same verdicts whenever it is
 * read. Whatever passes here is a row ClickHouse accepts and a sample the windows can use;
 * whatever fails goes to the dead-letter topic with `reason` (a stable code: metric label and DLQ
 * header), `message` (what exactly was wrong) and the bytes that failed: one record of a batch,
 * or the whole value when it is no AccessLogBatch at all.
 */

import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { splitBatch } from '../access-log-batch.ts';

export type RollupMalformedReason =
  | 'empty_value'
  | 'undecodable_batch'
  | 'undecodable_record'
  | 'missing_source'
  | 'missing_destination'
  | 'key_mismatch'
  | 'missing_start_time'
  | 'start_time_in_future'
  | 'negative_duration'
  | 'invalid_status';

/** Protobuf type names for the dead-letter `value-type` header. */
export const valueTypes = {
  batch: 'meshgraph.v1.AccessLogBatch',
  record: 'meshgraph.v1.AccessLogRecord',
} as const;

export interface Malformed {
  ok: false;
  reason: RollupMalformedReason;
  message: string;
  /** The bytes that failed (a record, or the whole value), for the dead letter. */
  value: Uint8Array;
  valueType: (typeof valueTypes)[keyof typeof valueTypes];
}

export type Decoded = { ok: true; record: AccessLogRecord; edge: string } | Malformed;

/**
 * Options for {@link decodeMessage}.
 * - `maxFutureMs` (number, default 300,000 = 5 min): how far past the message's Kafka timestamp
 *   (the producer's clock when it sent the record) a start time may lie. One record from a badly
 *   set clock would otherwise drag its partition's watermark ahead and make every honest record
 *   after it late. The Kafka timestamp, not this process's clock, keeps the verdict the same
 *   when the message is read again after a restart.
 */
export interface DecodeOptions {
  maxFutureMs?: number;
}

/** The edge as access-logs.v2 keys it: `<source>→<destination>` (U+2192). */
export function edgeOf(source: string, destination: string): string {
  return `${source}→${destination}`;
}

const noBytes = new Uint8Array(0);

/**
 * Checks one message: its value must be an AccessLogBatch and every record in it is judged on
 * its own (one bad record does not condemn its neighbours). `key` must be each record's edge: the
 * job's per-edge windows (and every consumer of edge-stats.v1) rely on one edge living in one
 * partition.
 */
export function decodeMessage(
  key: Buffer | null,
  value: Buffer | null,
  sentMs: number,
  options: DecodeOptions = {},
): Decoded[] {
  const whole = (reason: RollupMalformedReason, message: string): Decoded[] => [
    { ok: false, reason, message, value: value ?? noBytes, valueType: valueTypes.batch },
  ];
  if (value === null || value.length === 0)
    return whole('empty_value', 'the message has no value (a tombstone or an empty batch)');
  let records: Uint8Array[];
  try {
    records = splitBatch(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return whole('undecodable_batch', `value is not a meshgraph.v1.AccessLogBatch: ${why}`);
  }
  const keyText = key?.toString('utf8') ?? '';
  return records.map((bytes) => decodeRecord(keyText, bytes, sentMs, options));
}

/** One encoded record of a batch keyed `keyText`, judged as {@link decodeMessage} says. */
export function decodeRecord(
  keyText: string,
  bytes: Uint8Array,
  sentMs: number,
  options: DecodeOptions = {},
): Decoded {
  const bad = (reason: RollupMalformedReason, message: string): Malformed => ({
    ok: false,
    reason,
    message,
    value: bytes,
    valueType: valueTypes.record,
  });
  let record: AccessLogRecord;
  try {
    record = AccessLogRecord.decode(bytes);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return bad('undecodable_record', `a record is not a meshgraph.v1.AccessLogRecord: ${why}`);
  }
  if (record.sourceService === '') return bad('missing_source', 'source_service is empty');
  if (record.destinationCluster === '')
    return bad('missing_destination', 'destination_cluster is empty');
  const edge = edgeOf(record.sourceService, record.destinationCluster);
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
 * The access_log row of a record (column names of migrations 0001, 0004 and 0006): start_time as the
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
    source_instance: record.sourceInstance,
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
  'source_instance',
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
    record.sourceInstance,
  ];
}
