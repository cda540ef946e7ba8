/**
 * One ALS stream's state and its messages → Kafka messages. Envoy sends the identifier (its node)
 * in the first message of a stream only, so the stream remembers it for every later entry.
 *
 * Messages are split by hand at the wire level (field 1 identifier, 2 HTTP entries, 3 TCP
 * entries) instead of decoded whole: one unreadable entry then costs that entry alone, and it
 * reaches the DLQ as the exact bytes Envoy sent.
 */

import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Node } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import { HTTPAccessLogEntry } from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import { StreamAccessLogsMessage_Identifier } from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { accessLogsTopic } from '../topics.ts';
import type { CollectorMetrics } from './metrics.ts';
import { deadLetter, type OutMessage, valueTypes } from './producer.ts';
import { type RecordOptions, toRecord } from './record.ts';

/** The raw parts of one StreamAccessLogsMessage. */
export interface SplitMessage {
  identifier?: Uint8Array;
  http: Uint8Array[];
  tcp: number;
}

/** Splits a StreamAccessLogsMessage into its identifier and entry bytes; throws if malformed. */
export function splitMessage(bytes: Uint8Array): SplitMessage {
  const split: SplitMessage = { http: [], tcp: 0 };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited || field < 1 || field > 3) {
      reader.skip(wireType, field);
    } else if (field === 1) {
      split.identifier = reader.bytes();
    } else {
      const entries = new BinaryReader(reader.bytes());
      while (entries.pos < entries.len) {
        const [entryField, entryWireType] = entries.tag();
        if (entryField !== 1 || entryWireType !== WireType.LengthDelimited) {
          entries.skip(entryWireType, entryField);
        } else if (field === 2) {
          split.http.push(entries.bytes());
        } else {
          entries.skip(entryWireType, entryField);
          split.tcp++;
        }
      }
    }
  }
  return split;
}

export interface AlsStreamDeps {
  metrics: CollectorMetrics;
  record: RecordOptions;
}

// One writer for every record encoded in this process: finish() hands back a copy of the bytes
// and resets the writer but keeps its buffer, so encoding a record does not grow a fresh one.
let writer = new BinaryWriter();

/**
 * A record's protobuf bytes. (Copied into a pooled Buffer: the short-lived copy finish() makes
 * dies young, and the Buffers the batcher holds share the pool's slabs.)
 */
export function encodeRecord(record: AccessLogRecord): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = AccessLogRecord.encode(record, writer).finish();
  } catch (error) {
    writer = new BinaryWriter(); // never leave half a record in the shared writer
    throw error;
  }
  return Buffer.from(bytes);
}

export class AlsStream {
  /** The node from the stream's identifier; undefined until one arrives (or if none does). */
  node: Node | undefined;
  logName = '';

  constructor(private readonly deps: AlsStreamDeps) {}

  /**
   * Kafka messages (records and dead letters) for one raw message of this stream; `fatal` says
   * why the stream must end (its first message, the one naming the node, was unreadable).
   */
  handle(raw: Uint8Array): { messages: OutMessage[]; fatal?: string } {
    const { metrics } = this.deps;
    let split: SplitMessage;
    try {
      split = splitMessage(raw);
      if (split.identifier) {
        const identifier = StreamAccessLogsMessage_Identifier.decode(split.identifier);
        this.node = identifier.node;
        this.logName = identifier.logName;
      }
    } catch (error) {
      const message = `StreamAccessLogsMessage is not valid protobuf: ${(error as Error).message}`;
      const letter = deadLetter(
        raw,
        { reason: 'undecodable_message', message },
        { nodeId: this.node?.id ?? '', valueType: valueTypes.message },
      );
      // Entries without a known node would be attributed to the wrong source: refuse the stream
      // (Envoy reconnects and sends its identifier again) unless the node is already known.
      return this.node ? { messages: [letter] } : { messages: [letter], fatal: message };
    }
    if (split.tcp > 0) {
      metrics.entriesReceived.inc({ kind: 'tcp' }, split.tcp);
      metrics.entriesIgnored.inc({ reason: 'tcp_entry' }, split.tcp);
    }
    metrics.entriesReceived.inc({ kind: 'http' }, split.http.length);
    return { messages: split.http.flatMap((bytes) => this.entry(bytes)) };
  }

  private entry(bytes: Uint8Array): OutMessage[] {
    const nodeId = this.node?.id ?? '';
    let entry: HTTPAccessLogEntry;
    try {
      entry = HTTPAccessLogEntry.decode(bytes);
    } catch (error) {
      const message = `HTTPAccessLogEntry is not valid protobuf: ${(error as Error).message}`;
      const problem = { reason: 'undecodable_entry' as const, message };
      return [deadLetter(bytes, problem, { nodeId, valueType: valueTypes.entry })];
    }
    const result = toRecord(entry, this.node, this.deps.record);
    if (result.kind === 'ignored') {
      this.deps.metrics.entriesIgnored.inc({ reason: result.reason });
      return [];
    }
    if (result.kind === 'malformed')
      return [deadLetter(bytes, result, { nodeId, valueType: valueTypes.entry })];
    const value = encodeRecord(result.record);
    return [{ topic: accessLogsTopic.name, key: result.key, value }];
  }
}
