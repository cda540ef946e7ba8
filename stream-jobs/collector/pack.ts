/**
 * How one batcher batch becomes Kafka messages: access-log records are packed per edge (the key)
 * into AccessLogBatch values (../access-log-batch.ts), everything else (dead letters) goes one
 * message each, as it came. Pure, so the grouping and its order are tested without Kafka.
 */

import type { Message } from 'kafkajs';
import { packRecords } from '../access-log-batch.ts';
import { accessLogsTopic } from '../topics.ts';
import type { OutMessage } from './producer.ts';

/**
 * Largest packed value, bytes (default 256 KiB): well under Kafka's 1 MB `max.message.bytes`
 * even before compression, and small enough that a consumer's fetch (1 MiB per partition by
 * default in kafkajs) always holds several.
 */
export const maxPackedBytes = 256 * 1024;

/** Kafka messages per topic for `batch`; records of one edge keep their order. */
export function toTopicMessages(
  batch: readonly OutMessage[],
  maxBytes: number = maxPackedBytes,
): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  const recordsByEdge = new Map<string, Buffer[]>();
  for (const message of batch) {
    if (message.topic === accessLogsTopic.name && message.key !== null) {
      const records = recordsByEdge.get(message.key);
      if (records) records.push(message.value);
      else recordsByEdge.set(message.key, [message.value]);
      continue;
    }
    const { topic, key, value, headers } = message;
    const list = byTopic.get(topic);
    const out = { key, value, ...(headers && { headers }) };
    if (list) list.push(out);
    else byTopic.set(topic, [out]);
  }
  if (recordsByEdge.size > 0) {
    const packed: Message[] = [];
    for (const [key, records] of recordsByEdge)
      for (const value of packRecords(records, maxBytes)) packed.push({ key, value });
    byTopic.set(accessLogsTopic.name, [...packed, ...(byTopic.get(accessLogsTopic.name) ?? [])]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
