/**
 * What the rollup job writes to Kafka: closed windows to edge-stats.v1 (key = the edge, value =
 * EdgeStats) and malformed records to access-logs.dlq.v1 in the collector's dead-letter
 * convention (original bytes as the value, the reason in headers), plus where the record was.
 * Both are sent with acks = -1 before any offset is committed past them.
 */

import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { accessLogsDeadLetterTopic, deadLetterHeaders, edgeStatsTopic } from '../topics.ts';
import type { DeadLetter } from './offsets.ts';
import { toEdgeStats, type WindowStats } from './windows.ts';

/** Dead-letter headers beyond the shared ones: where the record sat in access-logs.v2. */
export const sourceHeaders = {
  topic: 'meshgraph-source-topic',
  partition: 'meshgraph-source-partition',
  offset: 'meshgraph-source-offset',
} as const;

/** The edge-stats.v1 message of a closed window. */
export function edgeStatsMessage(window: WindowStats): Message {
  return {
    key: `${window.sourceService}→${window.destinationCluster}`,
    value: Buffer.from(EdgeStats.encode(toEdgeStats(window)).finish()),
  };
}

/**
 * The dead-letter message of a malformed record (or of a whole value that is no batch): the
 * message's key, the bytes that failed, and where the message sat.
 */
export function deadLetterMessage(
  letter: DeadLetter,
  key: Buffer | null,
  source: { topic: string; partition: number },
): Message {
  return {
    key,
    value: Buffer.from(letter.value.buffer, letter.value.byteOffset, letter.value.byteLength),
    headers: {
      [deadLetterHeaders.reason]: letter.reason,
      [deadLetterHeaders.message]: letter.message,
      [deadLetterHeaders.valueType]: letter.valueType,
      [sourceHeaders.topic]: source.topic,
      [sourceHeaders.partition]: String(source.partition),
      [sourceHeaders.offset]: String(letter.offset),
    },
  };
}

/** Sends messages to one topic, acknowledged by every in-sync replica. */
export async function sendAll(producer: Producer, topic: string, messages: Message[]) {
  if (messages.length === 0) return;
  await producer.sendBatch({
    acks: -1,
    compression: CompressionTypes.GZIP,
    topicMessages: [{ topic, messages }],
  });
}

export const outputTopics = {
  edgeStats: edgeStatsTopic.name,
  deadLetters: accessLogsDeadLetterTopic.name,
};
