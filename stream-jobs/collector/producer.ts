/**
 * The Kafka side of the collector: what a message to Kafka is, how a batch is sent (kafkajs,
 * acks from all in-sync replicas, GZIP), which failures are worth retrying, and what becomes of
 * entries and batches that cannot go to access-logs.v2 (the dead-letter topic, with the reason).
 */

import { CompressionTypes, type ICustomPartitioner, Partitioners, type Producer } from 'kafkajs';
import { accessLogsDeadLetterTopic, accessLogsTopic, deadLetterHeaders } from '../topics.ts';
import { toTopicMessages } from './pack.ts';
import type { MalformedReason } from './record.ts';

/**
 * One message for Kafka, as the batcher holds it. `reason` is set on dead letters only and feeds
 * the `reason` label of the dead-letter counter (it is also in the headers).
 */
export interface OutMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
  reason?: string;
}

/**
 * Why a message is a dead letter: an entry that is no record (MalformedReason, including
 * `undecodable_entry`), a whole ALS message that is not protobuf (`undecodable_message`), or a
 * record Kafka refused for good (`produce_failed`).
 */
export type DeadLetterReason = MalformedReason | 'undecodable_message' | 'produce_failed';

/** Protobuf type names for the `value-type` dead-letter header. */
export const valueTypes = {
  entry: 'envoy.data.accesslog.v3.HTTPAccessLogEntry',
  message: 'envoy.service.accesslog.v3.StreamAccessLogsMessage',
  record: 'meshgraph.v1.AccessLogRecord',
} as const;

// Per-message bookkeeping (object, array slot, Buffer header) that the bound must not ignore.
const overheadBytes = 64;

/** Bytes a message holds in memory, approximately: what the batcher's byte bound counts. */
export function sizeOf(message: OutMessage): number {
  let size = overheadBytes + message.value.length + (message.key?.length ?? 0) * 3;
  for (const [name, value] of Object.entries(message.headers ?? {}))
    size += name.length + value.length * 3;
  return size;
}

/**
 * Partitioners.DefaultPartitioner (the Java client's murmur2: `murmur2(key) % partitions`, so an
 * edge lands in the same partition whichever client produced it), with each string key's
 * partition remembered per topic and partition count: the collector sends a few hundred edges
 * millions of times, and the hash (kafkajs computes it with Long arithmetic) was a tenth of its
 * CPU. A message with an explicit partition, a Buffer key or no key goes to the default as is.
 * The answer depends on the key and the partition count only (not on which partitions are
 * available), so the cache returns exactly what the default would.
 */
export const cachingDefaultPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const topics = new Map<string, { partitions: number; byKey: Map<string, number> }>();
  const maxKeys = 100_000;
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    const { key } = message;
    if (typeof key !== 'string' || (message.partition !== undefined && message.partition !== null))
      return partitioner(args);
    let cache = topics.get(topic);
    if (!cache || cache.partitions !== partitionMetadata.length || cache.byKey.size >= maxKeys) {
      cache = { partitions: partitionMetadata.length, byKey: new Map() };
      topics.set(topic, cache);
    }
    let partition = cache.byKey.get(key);
    if (partition === undefined) {
      partition = partitioner(args);
      cache.byKey.set(key, partition);
    }
    return partition;
  };
};

/**
 * Options for {@link kafkaSender}.
 * - `compression` (CompressionTypes, default GZIP): kafkajs has GZIP built in; Snappy, LZ4 and
 *   ZSTD need codec packages registered in `CompressionCodecs` (none is installed).
 * - `timeoutMs` (number, default 30,000): how long the broker may wait for replicas to ack.
 */
export interface SenderOptions {
  compression?: CompressionTypes;
  timeoutMs?: number;
}

/**
 * A batcher `send` that produces one batch as one kafkajs `sendBatch`, access-log records packed
 * per edge (pack.ts), acks = -1: a record counts as sent once every in-sync replica has it.
 */
export function kafkaSender(
  producer: Producer,
  options: SenderOptions = {},
): (batch: OutMessage[]) => Promise<void> {
  return async (batch) => {
    await producer.sendBatch({
      acks: -1,
      compression: options.compression ?? CompressionTypes.GZIP,
      timeout: options.timeoutMs ?? 30_000,
      topicMessages: toTopicMessages(batch),
    });
  };
}

/**
 * Whether a failed send is worth repeating: kafkajs marks each error `retriable` (broker not
 * available, leader moved, timeouts, connection lost…). When its retries ran out it wraps the
 * error (KafkaJSNumberOfRetriesExceeded, or KafkaJSNonRetriableError when a nested retrier, such
 * as reconnecting, gave up first): the innermost cause decides. Anything else (authorization,
 * message too large, invalid record, a bug) is final.
 */
export function isRetriable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const wrapper =
      current.name === 'KafkaJSNumberOfRetriesExceeded' ||
      current.name === 'KafkaJSNonRetriableError';
    if (!wrapper || !(current.cause instanceof Error) || current.cause === current)
      return (current as { retriable?: unknown }).retriable === true;
    current = current.cause;
  }
  return false;
}

/** An entry that is not a record: to the DLQ with its original bytes and the reason. */
export function deadLetter(
  value: Uint8Array,
  problem: { reason: DeadLetterReason; message: string },
  context: { nodeId: string; valueType: string },
): OutMessage {
  return {
    topic: accessLogsDeadLetterTopic.name,
    key: context.nodeId || null,
    value: Buffer.from(value),
    reason: problem.reason,
    headers: {
      [deadLetterHeaders.reason]: problem.reason,
      [deadLetterHeaders.message]: problem.message,
      [deadLetterHeaders.valueType]: context.valueType,
      [deadLetterHeaders.node]: context.nodeId,
    },
  };
}

/**
 * The batcher's `onFailure`: a batch Kafka refused for good goes to the DLQ instead (reason
 * `produce_failed`, the error in `message`), records kept as they are so they can be replayed.
 * Dead letters that fail for good have nowhere left to go: none comes back, the batcher drops
 * them and counts it.
 */
export function divertToDeadLetters(batch: OutMessage[], error: unknown): OutMessage[] {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return batch
    .filter((m) => m.topic === accessLogsTopic.name)
    .map((m) => ({
      ...deadLetter(
        m.value,
        { reason: 'produce_failed', message },
        { nodeId: '', valueType: valueTypes.record },
      ),
      key: m.key,
    }));
}
