/**
 * The access-logs.v2 value, meshgraph.v1.AccessLogBatch, built from and split into records that
 * are already encoded: a batch is nothing but its records, each framed as field 1 (tag 0x0A, a
 * varint length, the bytes), so packing is a copy and splitting a walk over the frames; neither
 * decodes a record. The collector packs (producer.ts), the rollup splits (rollup/decode.ts), and
 * the two are each other's inverse (tests/unit/access-log-batch.test.ts checks them byte by byte
 * against the generated AccessLogBatch codec).
 */

/** Field 1 (`records`), wire type 2 (length-delimited): the only tag a batch holds. */
const recordsTag = 0x0a;

/** Why a value is not an AccessLogBatch; `offset` is the byte where reading failed. */
export class BatchFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'BatchFormatError';
  }
}

function varintLength(n: number): number {
  let bytes = 1;
  for (let v = n; v > 0x7f; v = Math.floor(v / 128)) bytes += 1;
  return bytes;
}

function writeVarint(target: Buffer, at: number, n: number): number {
  let v = n;
  let i = at;
  while (v > 0x7f) {
    target[i++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  target[i++] = v;
  return i;
}

/** Bytes `record` takes inside a batch: tag, length and the record. */
export function framedSize(record: Uint8Array): number {
  return 1 + varintLength(record.length) + record.length;
}

/**
 * Packs encoded AccessLogRecords (in order) into as few batches as `maxBytes` allows per batch;
 * a record larger than that alone still gets a batch of its own (nothing is ever dropped here).
 */
export function packRecords(records: readonly Uint8Array[], maxBytes: number): Buffer[] {
  const batches: Buffer[] = [];
  let start = 0;
  while (start < records.length) {
    let end = start;
    let size = 0;
    while (end < records.length) {
      const next = framedSize(records[end] as Uint8Array);
      if (end > start && size + next > maxBytes) break;
      size += next;
      end += 1;
    }
    const batch = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = start; i < end; i++) {
      const record = records[i] as Uint8Array;
      batch[at++] = recordsTag;
      at = writeVarint(batch, at, record.length);
      batch.set(record, at);
      at += record.length;
    }
    batches.push(batch);
    start = end;
  }
  return batches;
}

/**
 * The encoded records of one AccessLogBatch, as views into `value` (no copy). Throws
 * BatchFormatError for anything but a sequence of whole field-1 frames: a bare AccessLogRecord
 * (the v1 value) or a cut-short message fails here instead of reading as an empty batch, which
 * a generic protobuf decoder would make of it by skipping the fields it does not know.
 */
export function splitBatch(value: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < value.length) {
    const tag = value[at] as number;
    if (tag !== recordsTag)
      throw new BatchFormatError(
        `byte ${at}: tag 0x${tag.toString(16).padStart(2, '0')} where a batch holds only field 1 records (0x0a)`,
        at,
      );
    let length = 0;
    let scale = 1;
    let i = at + 1;
    for (;;) {
      if (i >= value.length)
        throw new BatchFormatError(`byte ${at}: the record's length is cut short`, at);
      const byte = value[i++] as number;
      length += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 35)
        throw new BatchFormatError(`byte ${at}: the record's length is not a varint`, at);
    }
    if (i + length > value.length)
      throw new BatchFormatError(
        `byte ${at}: a record of ${length} bytes runs past the end of the ${value.length}-byte value`,
        at,
      );
    records.push(value.subarray(i, i + length));
    at = i + length;
  }
  return records;
}
