import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { expect } from 'vitest';
import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import {
  AccessLogRecord,
  type DeepPartial,
} from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { packRecords } from '../../stream-jobs/access-log-batch.ts';
import { startTestStack, type TestStack } from './stack.ts';

// What the rollup job's tests share (tests/integration/rollup*.test.ts): a real Kafka with a
// producer, the job's metrics read back, topics read to their end, records packed the way the
// collector packs them, and the exact-count checks on ClickHouse and edge-stats.v1.

// The smallest session timeout the broker allows: a SIGKILLed member leaves the group in ~6 s.
export const jobTimings = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 };

/** Sum of the Prometheus samples named `name` whose labels contain `labels`. */
export function sample(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}
export async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

export interface Read {
  key: string;
  value: Buffer;
  partition: number;
  offset: number;
  headers: Record<string, string>;
}

/** Every message now in `topic`: read with a fresh group up to the end offsets taken first. */
export async function readAll(kafka: Kafka, topic: string): Promise<Read[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, e.high]));
  const consumer = kafka.consumer({ groupId: `rollup-test-read-${topic}-${Date.now()}` });
  const read: Read[] = [];
  const reached = new Set<number>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    if (want.size === 0) resolve();
    const timer = setTimeout(() => reject(new Error(`${topic}: only ${read.length} read`)), 60_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        read.push({
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          partition,
          offset: Number(message.offset),
          headers,
        });
        if (String(Number(message.offset) + 1) === want.get(partition)) reached.add(partition);
        if (reached.size === want.size) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return read;
}

export const encoded = (r: DeepPartial<AccessLogRecord>) =>
  Buffer.from(AccessLogRecord.encode(AccessLogRecord.fromPartial(r)).finish());

/** An access-logs.v2 message holding `records` (one edge, the first record's), packed. */
export const batchOf = (...records: DeepPartial<AccessLogRecord>[]): Message => {
  const [value, ...more] = packRecords(records.map(encoded), 1 << 20);
  if (!value || more.length > 0) throw new Error('batchOf: expected one batch');
  return { key: `${records[0]?.sourceService}→${records[0]?.destinationCluster}`, value };
};

/** The messages the collector would send for `records`: packed per edge. */
export const packedPerEdge = (records: DeepPartial<AccessLogRecord>[]): Message[] => {
  const byEdge = new Map<string, DeepPartial<AccessLogRecord>[]>();
  for (const r of records) {
    const edge = `${r.sourceService}→${r.destinationCluster}`;
    byEdge.set(edge, [...(byEdge.get(edge) ?? []), r]);
  }
  return [...byEdge.values()].map((list) => batchOf(...list));
};

/** Edge-stats windows of `edges` by window identity; every copy of one window must be equal. */
export function windowsOf(messages: Read[], edges: Set<string>) {
  const byId = new Map<string, EdgeStats>();
  let duplicates = 0;
  for (const m of messages) {
    if (!edges.has(m.key)) continue;
    const w = EdgeStats.decode(m.value);
    const id = `${m.key}|${w.upstreamEndpoint}|${w.windowSeconds}|${w.windowStartMs}`;
    const seen = byId.get(id);
    if (seen) {
      duplicates += 1;
      // A crash between emitting and committing may repeat a window, only ever whole.
      expect([w.requests, w.durationSumUs], `partial duplicate of ${id}`).toEqual([
        seen.requests,
        seen.durationSumUs,
      ]);
    } else byId.set(id, w);
  }
  return { windows: [...byId.values()], duplicates };
}

export function sumBy(windows: EdgeStats[], pick: (w: EdgeStats) => boolean): Map<string, number> {
  const sums = new Map<string, number>();
  for (const w of windows.filter(pick)) {
    const edge = `${w.sourceService}→${w.destinationCluster}`;
    sums.set(edge, (sums.get(edge) ?? 0) + w.requests);
  }
  return sums;
}

export async function countsByEdge(store: ClickHouseStore, table: string, measure: string) {
  const rows = await store.query<{ s: string; d: string; n: string }>(
    `SELECT source_service AS s, destination_cluster AS d, ${measure} AS n FROM ${table} GROUP BY s, d`,
  );
  return new Map(rows.map((r) => [`${r.s}→${r.d}`, Number(r.n)]));
}

/** A real Kafka with a connected producer, and temporary directories removed on close. */
export interface RollupKafka {
  readonly brokers: string[];
  readonly kafka: Kafka;
  readonly producer: Producer;
  /** A fresh directory meshgraph-<name>-… under the OS temp dir. */
  tempDir(name: string): string;
  close(): Promise<void>;
}

export async function startRollupKafka(log: Logger): Promise<RollupKafka> {
  const stack: TestStack = await startTestStack({ kafka: true });
  const brokers = stack.kafka?.brokers ?? [];
  const kafka = createKafka({ brokers, clientId: 'rollup-test', log });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const dirs: string[] = [];
  try {
    await producer.connect();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return {
    brokers,
    kafka,
    producer,
    tempDir(name) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `meshgraph-${name}-`));
      dirs.push(dir);
      return dir;
    },
    async close() {
      await producer.disconnect();
      await stack.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
