import { describe, expect, it } from 'vitest';
import {
  AccessLogRecord,
  type DeepPartial,
} from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import {
  accessLogColumns,
  accessLogRow,
  accessLogValues,
  decodeRecord,
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

describe('rollup decode', () => {
  it('accepts a valid record keyed by its edge', () => {
    const decoded = decodeRecord(key, bytes(good), sent);
    expect(decoded).toMatchObject({ ok: true, edge: 'web→api' });
  });

  it.each([
    ['empty_value', key, null, /no value/],
    ['undecodable_record', key, Buffer.from([0xff, 0xff, 0xff]), /not a meshgraph.v1/],
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
    const decoded = decodeRecord(k, value, sent);
    expect(decoded).toMatchObject({ ok: false, reason });
    if (!decoded.ok) expect(decoded.message).toMatch(message);
  });

  it('gives the same verdict whenever the message is read (no wall clock)', () => {
    const future = bytes({ ...good, startTimeUs: (sent + 60_000) * 1000 });
    expect(decodeRecord(key, future, sent).ok).toBe(true);
    expect(decodeRecord(key, future, sent, { maxFutureMs: 1000 }).ok).toBe(false);
  });

  it('maps a record to an access_log row with its Kafka position', () => {
    const decoded = decodeRecord(key, bytes(good), sent);
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
    const decoded = decodeRecord(key, bytes({ ...good, responseFlags: 'UF', model: 'm' }), sent);
    if (!decoded.ok) throw new Error(decoded.message);
    const row = accessLogRow(decoded.record, 3, 1234);
    expect([...accessLogColumns].sort()).toEqual(Object.keys(row).sort());
    expect(accessLogValues(decoded.record, 3, 1234)).toEqual(accessLogColumns.map((c) => row[c]));
  });
});
