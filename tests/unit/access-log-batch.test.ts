import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccessLogBatch,
  AccessLogRecord,
} from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import {
  BatchFormatError,
  framedSize,
  packRecords,
  splitBatch,
} from '../../stream-jobs/access-log-batch.ts';

const record = (i: number, path = `/p/${i}`) =>
  Buffer.from(
    AccessLogRecord.encode(
      AccessLogRecord.fromPartial({
        startTimeUs: 1_700_000_000_000_000 + i,
        sourceService: 'web',
        destinationCluster: 'api',
        path,
        status: 200,
        durationUs: 1000 + i,
      }),
    ).finish(),
  );

describe('access-log batch: pack and split', () => {
  it('packs byte for byte what the generated AccessLogBatch codec encodes', () => {
    const records = [record(1), record(2), record(3, 'x'.repeat(300))]; // a 2-byte varint length
    const [packed, ...rest] = packRecords(records, 1 << 20);
    expect(rest).toEqual([]);
    const generated = AccessLogBatch.encode({
      records: records.map((r) => AccessLogRecord.decode(r)),
    }).finish();
    expect(packed).toEqual(Buffer.from(generated));
  });

  it('frames a record as tag 0x0a, varint length, bytes', () => {
    expect([...(packRecords([Buffer.from([1, 2, 3])], 100)[0] ?? [])]).toEqual([10, 3, 1, 2, 3]);
    const long = Buffer.alloc(200, 7);
    const framed = packRecords([long], 1000)[0] ?? Buffer.alloc(0);
    expect([...framed.subarray(0, 3)]).toEqual([10, 0xc8, 0x01]);
    expect(framedSize(long)).toBe(203);
  });

  it('splits back into the same records (views, in order) for any records and size bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 3000 }),
        (records, maxBytes) => {
          const batches = packRecords(records, maxBytes);
          expect(batches.flatMap((b) => splitBatch(b).map((r) => [...r]))).toEqual(
            records.map((r) => [...r]),
          );
          for (const b of batches) {
            // Over the bound only as a single record that alone is larger.
            if (b.length > maxBytes) expect(splitBatch(b)).toHaveLength(1);
          }
        },
      ),
    );
  });

  it('cuts at the byte bound without splitting a record', () => {
    const records = [record(1), record(2), record(3), record(4)];
    const two = framedSize(records[0] as Buffer) + framedSize(records[1] as Buffer);
    const batches = packRecords(records, two);
    expect(batches.map((b) => splitBatch(b).length)).toEqual([2, 2]);
  });

  it('refuses what is not a batch, naming the byte', () => {
    const bare = record(1); // an access-logs.v1 value: field 1 is a varint there
    expect(() => splitBatch(bare)).toThrow(
      new BatchFormatError('byte 0: tag 0x08 where a batch holds only field 1 records (0x0a)', 0),
    );
    const packed = packRecords([record(1), record(2)], 1 << 20)[0] as Buffer;
    const cut = packed.subarray(0, packed.length - 1);
    const second = framedSize(record(1));
    expect(() => splitBatch(cut)).toThrow(
      `byte ${second}: a record of ${record(2).length} bytes runs past the end of the ${cut.length}-byte value`,
    );
    expect(() => splitBatch(Buffer.from([0x0a]))).toThrow(
      "byte 0: the record's length is cut short",
    );
    expect(() => splitBatch(Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]))).toThrow(
      "byte 0: the record's length is not a varint",
    );
    expect(splitBatch(Buffer.alloc(0))).toEqual([]);
  });
});
