import { describe, expect, it } from 'vitest';
import {
  AccessLogBatch,
  AccessLogRecord,
  type DeepPartial,
} from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { packRecords } from '../../stream-jobs/access-log-batch.ts';
import {
  accessLogColumns,
  accessLogRow,
  accessLogValues,
  decodeMessage,
} from '../../stream-jobs/rollup/decode.ts';

const sent = Date.UTC(2026, 0, 1);
const good: DeepPartial<AccessLogRecord> = {
  startTimeUs: sent * 1000,
  sourceService: 'web',
  destinationCluster: 'api',
  upstreamEndpoint: '10.0.0.1:80',
  status: 200,
  durationUs: 1500,
};
const bytes = (r: DeepPartial<AccessLogRecord>) =>
  Buffer.from(AccessLogRecord.encode(AccessLogRecord.fromPartial(r)).finish());
const key = Buffer.from('web→api');
/** The access-logs.v2 value holding `records`, one batch. */
const batch = (...records: Buffer[]) => {
  const [value, ...more] = packRecords(records, 1 << 20);
  if (!value || more.length > 0) throw new Error('expected one batch');
  return value;
};
/** The verdict on a batch of one record. */
const decodeOne = (k: Buffer, record: Buffer | null, sentMs: number, maxFutureMs?: number) => {
  const value = record === null ? null : batch(record);
  const verdicts = decodeMessage(k, value, sentMs, maxFutureMs ? { maxFutureMs } : {});
  expect(verdicts).toHaveLength(1);
  return verdicts[0] as NonNullable<(typeof verdicts)[0]>;
};

describe('rollup decode', () => {
  it('accepts a valid record keyed by its edge', () => {
    const decoded = decodeOne(key, bytes(good), sent);
    expect(decoded).toMatchObject({ ok: true, edge: 'web→api' });
  });

  it('judges every record of a batch on its own; a bad one goes alone, with its own bytes', () => {
    const bad = bytes({ ...good, status: 42 });
    const verdicts = decodeMessage(key, batch(bytes(good), bad, bytes(good)), sent);
    expect(verdicts.map((v) => v.ok)).toEqual([true, false, true]);
    expect(verdicts[1]).toEqual({
      ok: false,
      reason: 'invalid_status',
      message: 'status 42 is neither 0 nor a 3-digit HTTP status',
      value: bad,
      valueType: 'meshgraph.v1.AccessLogRecord',
    });
  });

  it('refuses a value that is no batch as a whole, naming the byte (a v1 bare record, cut short)', () => {
    const record = bytes(good);
    expect(decodeMessage(key, record, sent)).toEqual([
      {
        ok: false,
        reason: 'undecodable_batch',
        message:
          'value is not a meshgraph.v1.AccessLogBatch: byte 0: tag 0x08 where a batch holds only field 1 records (0x0a)',
        value: record,
        valueType: 'meshgraph.v1.AccessLogBatch',
      },
    ]);
    const cut = batch(record).subarray(0, 10);
    expect(decodeMessage(key, cut, sent)[0]).toMatchObject({
      reason: 'undecodable_batch',
      message: expect.stringMatching(
        /byte 0: a record of \d+ bytes runs past the end of the 10-byte value/,
      ),
    });
  });

  it('reads what the generated AccessLogBatch codec writes', () => {
    const records = [good, { ...good, path: '/x' }].map((r) => AccessLogRecord.fromPartial(r));
    const value = Buffer.from(AccessLogBatch.encode({ records }).finish());
    const verdicts = decodeMessage(key, value, sent);
    expect(verdicts.map((v) => (v.ok ? v.record : v.reason))).toEqual(records);
  });

  it.each([
    ['empty_value', key, null, /no value/],
    ['undecodable_record', key, Buffer.from([0xff, 0xff, 0xff]), /a record is not a meshgraph.v1/],
    ['missing_source', key, bytes({ ...good, sourceService: '' }), /source_service/],
    ['missing_destination', key, bytes({ ...good, destinationCluster: '' }), /destination/],
    ['key_mismatch', Buffer.from('x→y'), bytes(good), /'x→y' is not the record's edge 'web→api'/],
    ['missing_start_time', key, bytes({ ...good, startTimeUs: 0 }), /start_time_us is 0/],
    [
      'start_time_in_future',
      key,
      bytes({ ...good, startTimeUs: (sent + 3_600_000) * 1000 }),
      /more than 300000 ms after/,
    ],
    ['negative_duration', key, bytes({ ...good, durationUs: -1 }), /duration_us is negative/],
    ['negative_duration', key, bytes({ ...good, upstreamDurationUs: -5 }), /upstream_duration/],
    ['invalid_status', key, bytes({ ...good, status: 42 }), /status 42/],
  ] as const)('%s: names what was wrong', (reason, k, value, message) => {
    const decoded = decodeOne(k, value, sent);
    expect(decoded).toMatchObject({ ok: false, reason });
    if (!decoded.ok) expect(decoded.message).toMatch(message);
  });

  it('gives the same verdict whenever the message is read (no wall clock)', () => {
    const future = bytes({ ...good, startTimeUs: (sent + 60_000) * 1000 });
    expect(decodeOne(key, future, sent).ok).toBe(true);
    expect(decodeOne(key, future, sent, 1000).ok).toBe(false);
  });

  it('maps a record to an access_log row with its Kafka position', () => {
    const decoded = decodeOne(key, bytes(good), sent);
    if (!decoded.ok) throw new Error(decoded.message);
    expect(accessLogRow(decoded.record, 3, 1234)).toMatchObject({
      start_time: sent * 1000,
      source_service: 'web',
      destination_cluster: 'api',
      status: 200,
      duration_us: 1500,
      kafka_partition: 3,
      kafka_offset: 1234,
    });
  });

  it('gives the same values positionally, in accessLogColumns order (JSONCompactEachRow)', () => {
    const decoded = decodeOne(key, bytes({ ...good, responseFlags: 'UF', model: 'm' }), sent);
    if (!decoded.ok) throw new Error(decoded.message);
    const row = accessLogRow(decoded.record, 3, 1234);
    expect([...accessLogColumns].sort()).toEqual(Object.keys(row).sort());
    expect(accessLogValues(decoded.record, 3, 1234)).toEqual(accessLogColumns.map((c) => row[c]));
  });
});
