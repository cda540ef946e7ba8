import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { clusterIdOf, kafkaDriver } from '../../stack/kafka/driver.ts';
import { installKafka } from '../../stack/kafka/install.ts';
import { isAlive, launch, type RunningComponent } from '../../stack/process.ts';

// Quiet unless asked: kafkajs logs every group join at info.
const log = createLogger('kafka-test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const topic = 'meshgraph-test-events';
const partitions = 3;
const count = 1000;
const expected = new Map(Array.from({ length: count }, (_, i) => [`key-${i}`, `value-${i}`]));

let dir: string;
let broker: RunningComponent | undefined;

function client(running: RunningComponent): Kafka {
  return createKafka({
    brokers: [`127.0.0.1:${running.plan.port}`],
    clientId: 'kafka-test',
    log,
  });
}

interface Received {
  key: string;
  value: string;
  partition: number;
  offset: number;
}

/**
 * Consumes `topic` from the beginning with a fresh consumer group until `n` messages arrived,
 * then leaves the group (committing offsets). Rejects if the consumer crashes.
 */
async function consume(kafka: Kafka, groupId: string, n: number) {
  const consumer = kafka.consumer({ groupId });
  const received: Received[] = [];
  let assigned: number[] = [];
  const outcome = new Promise<void>((resolve, reject) => {
    // kafkajs restarts a consumer after a retriable error on its own; only a final crash fails.
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) reject(event.payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      assigned = event.payload.memberAssignment[topic] ?? [];
    });
    void consumer
      .connect()
      .then(() => consumer.subscribe({ topics: [topic], fromBeginning: true }))
      .then(() =>
        consumer.run({
          eachMessage: async ({ partition, message }) => {
            received.push({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              partition,
              offset: Number(message.offset),
            });
            if (received.length >= n) resolve();
          },
        }),
      )
      .catch(reject);
  });
  try {
    await outcome;
  } finally {
    await consumer.disconnect();
  }
  return { received, assigned };
}

/** Exactly the produced messages: every key once with its value, offsets 0..end-1 with no gap. */
async function expectExactlyProduced(kafka: Kafka, received: Received[]) {
  expect(received).toHaveLength(count);
  expect(new Map(received.map((m) => [m.key, m.value]))).toEqual(expected);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.map((p) => Number(p.high)).reduce((a, b) => a + b, 0)).toBe(count);
    for (const { partition, high } of ends) {
      const offsets = received
        .filter((m) => m.partition === partition)
        .map((m) => m.offset)
        .sort((a, b) => a - b);
      expect(offsets).toEqual(Array.from({ length: Number(high) }, (_, i) => i));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offsets, summed over the topic's partitions. */
async function committed(kafka: Kafka, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka (native KRaft node)', () => {
  beforeAll(async () => {
    await installKafka(log);
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-kafka-'));
    broker = await launch(kafkaDriver(), dir, { log });
  });

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 1,000 produced messages to a consumer group exactly once', async () => {
    if (!broker) throw new Error('broker not started');
    const kafka = client(broker);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      expect(created).toBe(true);
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const messages = [...expected].map(([key, value]) => ({ key, value }));
      const results = await producer.send({ topic, messages });
      // Keys hash over all three partitions.
      expect(new Set(results.map((r) => r.partition)).size).toBe(partitions);
    } finally {
      await producer.disconnect();
    }

    const { received, assigned } = await consume(kafka, 'group-a', count);
    expect(assigned.sort()).toEqual([0, 1, 2]);
    await expectExactlyProduced(kafka, received);
    expect(await committed(kafka, 'group-a')).toBe(count);
  });

  it('keeps topics, messages and offsets across a restart on new ports', async () => {
    if (!broker) throw new Error('broker not started');
    const before = broker.plan.endpoints;
    const clusterId = clusterIdOf(path.join(dir, 'data'));
    const pid = broker.pid;
    const exit = await broker.stop();
    broker = undefined;
    expect(exit.signal).not.toBe('SIGKILL'); // shut down within the grace period
    expect(isAlive(pid)).toBe(false);

    broker = await launch(kafkaDriver(), dir, { log });
    expect(broker.plan.endpoints.broker).not.toBe(before.broker);
    expect(broker.plan.endpoints.controller).not.toBe(before.controller);
    expect(clusterIdOf(path.join(dir, 'data'))).toBe(clusterId);

    const kafka = client(broker);
    expect(await committed(kafka, 'group-a')).toBe(count);
    const { received } = await consume(kafka, 'group-b', count);
    await expectExactlyProduced(kafka, received);
  });
});
