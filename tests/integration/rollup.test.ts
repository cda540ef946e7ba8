import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import {
  AccessLogRecord,
  type DeepPartial,
} from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { projectRoot } from '../../stack/paths.ts';
import { packRecords } from '../../stream-jobs/access-log-batch.ts';
import { AccessLogSink } from '../../stream-jobs/rollup/sink.ts';
import { mergeSketches } from '../../stream-jobs/rollup/sketch.ts';
import { type RunningRollup, startRollup } from '../../stream-jobs/rollup/start.ts';
import {
  accessLogsDeadLetterTopic,
  accessLogsTopic,
  deadLetterHeaders,
  edgeStatsTopic,
} from '../../stream-jobs/topics.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const log = createLogger('rollup-test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
// The smallest session timeout the broker allows: a SIGKILLed member leaves the group in ~6 s.
const jobTimings = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 };

/** Polls `check` (every 50 ms) until it returns true; fails naming `what` after `ms`. */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sum of the Prometheus samples named `name` whose labels contain `labels`. */
function sample(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}
async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

interface Read {
  key: string;
  value: Buffer;
  partition: number;
  offset: number;
  headers: Record<string, string>;
}

/** Every message now in `topic`: read with a fresh group up to the end offsets taken first. */
async function readAll(kafka: Kafka, topic: string): Promise<Read[]> {
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

const encoded = (r: DeepPartial<AccessLogRecord>) =>
  Buffer.from(AccessLogRecord.encode(AccessLogRecord.fromPartial(r)).finish());

/** An access-logs.v2 message holding `records` (one edge, the first record's), packed. */
const batchOf = (...records: DeepPartial<AccessLogRecord>[]): Message => {
  const [value, ...more] = packRecords(records.map(encoded), 1 << 20);
  if (!value || more.length > 0) throw new Error('batchOf: expected one batch');
  return { key: `${records[0]?.sourceService}→${records[0]?.destinationCluster}`, value };
};

/** The messages the collector would send for `records`: packed per edge. */
const packedPerEdge = (records: DeepPartial<AccessLogRecord>[]): Message[] => {
  const byEdge = new Map<string, DeepPartial<AccessLogRecord>[]>();
  for (const r of records) {
    const edge = `${r.sourceService}→${r.destinationCluster}`;
    byEdge.set(edge, [...(byEdge.get(edge) ?? []), r]);
  }
  return [...byEdge.values()].map((list) => batchOf(...list));
};

/** Deterministic pseudo-random numbers (the same data every run). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Edge-stats windows of `edges` by window identity; every copy of one window must be equal. */
function windowsOf(messages: Read[], edges: Set<string>) {
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

function sumBy(windows: EdgeStats[], pick: (w: EdgeStats) => boolean): Map<string, number> {
  const sums = new Map<string, number>();
  for (const w of windows.filter(pick)) {
    const edge = `${w.sourceService}→${w.destinationCluster}`;
    sums.set(edge, (sums.get(edge) ?? 0) + w.requests);
  }
  return sums;
}

async function countsByEdge(store: ClickHouseStore, table: string, measure: string) {
  const rows = await store.query<{ s: string; d: string; n: string }>(
    `SELECT source_service AS s, destination_cluster AS d, ${measure} AS n FROM ${table} GROUP BY s, d`,
  );
  return new Map(rows.map((r) => [`${r.s}→${r.d}`, Number(r.n)]));
}

describe('rollup job: access-logs.v2 → ClickHouse + edge-stats.v1', () => {
  let stack: TestStack;
  let kafka: Kafka;
  let producer: Producer;
  let brokers: string[];
  const dirs: string[] = [];
  const tempDir = (name: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `meshgraph-${name}-`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    stack = await startTestStack({ kafka: true });
    brokers = stack.kafka?.brokers ?? [];
    kafka = createKafka({ brokers, clientId: 'rollup-test', log });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await stack?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('in process (embedded ClickHouse)', () => {
    let rollup: RunningRollup;
    let store: ClickHouseStore;
    const edges = [
      ['web', 'api'],
      ['api', 'db'],
      ['api', 'llm'],
    ] as const;
    const perEdge = new Map<string, number>();

    beforeAll(async () => {
      const url = `chdb://${tempDir('rollup-a')}`;
      rollup = await startRollup({
        brokers,
        clickhouseUrl: url,
        adminPort: 0,
        log,
        options: { groupId: 'rollup-test-a', ...jobTimings },
      });
      store = await openStore(url, log); // the same folder: shares the job's session
    });

    afterAll(async () => {
      await rollup?.close();
      await store?.close(); // the last store on the folder: frees chdb for the crash test
    });

    const metric = async (name: string, labels = '') =>
      sample(await scrape(rollup.adminPort), name, labels);

    it('rolls 5,000 records over 3 edges up exactly: access_log, edge_stats, endpoint_stats, edge-stats.v1', async () => {
      await until('readiness', async () => {
        const res = await fetch(`http://127.0.0.1:${rollup.adminPort}/readyz`);
        return res.status === 200;
      });
      // Ten minutes ago (inside the 7-day TTL), over 60 s, in time order; one send, so the
      // partitions never sit idle half way (the clock would then close their windows).
      const start = Math.floor((Date.now() - 600_000) / 10_000) * 10_000;
      const random = rng(42);
      const records: DeepPartial<AccessLogRecord>[] = [];
      for (let i = 0; i < 5000; i++) {
        const [source, destination] = edges[i % 3] ?? edges[0];
        const edge = `${source}→${destination}`;
        perEdge.set(edge, (perEdge.get(edge) ?? 0) + 1);
        records.push({
          startTimeUs: (start + i * 12) * 1000,
          sourceService: source,
          destinationCluster: destination,
          upstreamEndpoint: `10.0.${i % 3}.${1 + (i % 2)}:8080`,
          status: random() < 0.05 ? 503 : 200,
          responseFlags: random() < 0.03 ? 'UF,URX' : '',
          durationUs: Math.round(10 ** (2 + random() * 4)),
          requestBytes: 100,
          responseBytes: 1000,
          promptTokens: destination === 'llm' ? 10 : 0,
        });
      }
      // As the collector sends them: every 100 records, one message per edge.
      const messages: Message[] = [];
      for (let i = 0; i < records.length; i += 100)
        messages.push(...packedPerEdge(records.slice(i, i + 100)));
      const t0 = performance.now();
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: accessLogsTopic.name, messages }],
      });
      await until('5,000 rows inserted and every window closed', async () => {
        const text = await scrape(rollup.adminPort);
        return (
          sample(text, 'meshgraph_rollup_records_inserted_total') === 5000 &&
          sample(text, 'meshgraph_rollup_open_windows') === 0
        );
      });
      log.warn({ ms: Math.round(performance.now() - t0) }, '5,000 records rolled up');

      expect(await countsByEdge(store, 'access_log', 'count()')).toEqual(perEdge);
      expect(await countsByEdge(store, 'edge_stats', 'sum(requests)')).toEqual(perEdge);
      const fromRaw = await store.query<{ k: string; n: string; e: string }>(
        "SELECT concat(destination_cluster, '/', upstream_endpoint) AS k, count() AS n, countIf(status >= 500) AS e FROM access_log GROUP BY k ORDER BY k",
      );
      const fromRollup = await store.query<{ k: string; n: string; e: string }>(
        "SELECT concat(destination_cluster, '/', upstream_endpoint) AS k, sum(requests) AS n, sum(status_5xx) AS e FROM endpoint_stats GROUP BY k ORDER BY k",
      );
      expect(fromRollup).toEqual(fromRaw);
      expect(await metric('meshgraph_rollup_late_records_total')).toBe(0);

      const stats = await readAll(kafka, edgeStatsTopic.name);
      const { windows, duplicates } = windowsOf(stats, new Set(perEdge.keys()));
      expect(duplicates).toBe(0);
      const whole = (seconds: number) => (w: EdgeStats) =>
        w.windowSeconds === seconds && w.upstreamEndpoint === '';
      expect(sumBy(windows, whole(10))).toEqual(perEdge);
      expect(sumBy(windows, whole(1))).toEqual(perEdge);
      expect(sumBy(windows, (w) => w.windowSeconds === 10 && w.upstreamEndpoint !== '')).toEqual(
        perEdge,
      );
      for (const [source, destination] of edges) {
        const durations = await store.query<{ d: string }>(
          'SELECT duration_us AS d FROM access_log WHERE source_service = {s:String} AND destination_cluster = {t:String} ORDER BY duration_us',
          { s: source, t: destination },
        );
        const exact = Number(durations[Math.floor(0.99 * (durations.length - 1))]?.d);
        const merged = mergeSketches(
          windows
            .filter((w) => w.sourceService === source && w.destinationCluster === destination)
            .filter(whole(10))
            .map((w) => w.latencySketch),
        );
        expect(merged.count).toBe(durations.length);
        const p99 = merged.getValueAtQuantile(0.99);
        expect(Math.abs(p99 - exact) / exact, `${source}→${destination}`).toBeLessThanOrEqual(0.02);
      }
    });

    it('sends a malformed record to the dead-letter topic with its reason and keeps going', async () => {
      const inserted = await metric('meshgraph_rollup_records_inserted_total');
      // A length-delimited field claiming 32 MiB in a 6-byte value: no reader gets past it.
      const garbage = Buffer.concat([
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
        Buffer.from('?'),
      ]);
      const now = Date.now();
      const missingSource = encoded({
        startTimeUs: now * 1000,
        sourceService: '',
        destinationCluster: 'api',
      });
      await producer.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic: accessLogsTopic.name,
            messages: [
              { key: 'web→api', value: garbage },
              // One bad record among good ones: it alone is dead-lettered.
              {
                key: 'web→api',
                value: packRecords(
                  [
                    encoded({
                      startTimeUs: now * 1000,
                      sourceService: 'web',
                      destinationCluster: 'api',
                    }),
                    missingSource,
                    encoded({
                      startTimeUs: now * 1000,
                      sourceService: 'web',
                      destinationCluster: 'api',
                    }),
                  ],
                  1 << 20,
                )[0] as Buffer,
              },
            ],
          },
        ],
      });
      // Counters move after the writes they count: wait for all three.
      await until('the valid records and both dead letters', async () => {
        const text = await scrape(rollup.adminPort);
        return (
          sample(text, 'meshgraph_rollup_records_inserted_total') === inserted + 2 &&
          sample(text, 'meshgraph_rollup_dead_letters_total') === 2
        );
      });
      expect(
        await metric('meshgraph_rollup_dead_letters_total', 'reason="undecodable_batch"'),
      ).toBe(1);
      expect(await metric('meshgraph_rollup_dead_letters_total', 'reason="missing_source"')).toBe(
        1,
      );
      const letters = await readAll(kafka, accessLogsDeadLetterTopic.name);
      const reasons = letters.map((l) => l.headers[deadLetterHeaders.reason]).sort();
      expect(reasons).toEqual(['missing_source', 'undecodable_batch']);
      const undecodable = letters.find(
        (l) => l.headers[deadLetterHeaders.reason] === 'undecodable_batch',
      );
      expect(undecodable?.value.equals(garbage)).toBe(true);
      expect(undecodable?.key).toBe('web→api');
      expect(undecodable?.headers['meshgraph-source-offset']).toMatch(/^\d+$/);
      expect(undecodable?.headers[deadLetterHeaders.valueType]).toBe('meshgraph.v1.AccessLogBatch');
      expect(undecodable?.headers[deadLetterHeaders.message]).toBe(
        'value is not a meshgraph.v1.AccessLogBatch: byte 0: a record of 33554431 bytes runs past the end of the 6-byte value',
      );
      const unsourced = letters.find(
        (l) => l.headers[deadLetterHeaders.reason] === 'missing_source',
      );
      expect(unsourced?.value.equals(missingSource)).toBe(true);
      expect(unsourced?.headers[deadLetterHeaders.valueType]).toBe('meshgraph.v1.AccessLogRecord');
      expect((await fetch(`http://127.0.0.1:${rollup.adminPort}/readyz`)).status).toBe(200);
    });

    it('sends an insert cut short again with its token: the table that missed it takes it', async () => {
      // What a restart does with the `pending` insert of its commit metadata (offsets.ts). Three
      // days back, so the rollup rows sit in a partition of their own.
      const sink = new AccessLogSink(store, log, { topic: 'repair-test' });
      const day = Math.floor((Date.now() - 3 * 86_400_000) / 86_400_000) * 86_400_000;
      const records = Array.from({ length: 10 }, (_, i) => ({
        offset: 100 + i,
        value: AccessLogRecord.fromPartial({
          startTimeUs: (day + 3_600_000 + i) * 1000,
          sourceService: 'r-a',
          destinationCluster: 'r-b',
          upstreamEndpoint: '10.9.9.9:80',
          status: 200,
          durationUs: 500,
        }),
      }));
      await sink.insert(7, records);
      // The process "died" after access_log and endpoint_stats got their parts, not edge_stats.
      const parts = await store.query<{ name: string }>(
        "SELECT name FROM system.parts WHERE table = 'edge_stats' AND active AND partition = toString(toDate({d:Int64} / 1000))",
        { d: day },
      );
      expect(parts.length).toBeGreaterThan(0);
      for (const { name } of parts)
        await store.command(`ALTER TABLE edge_stats DROP PART '${name}'`);
      const { token } = await sink.insert(7, records);
      expect(token).toBe('repair-test:7:100-109');
      expect((await countsByEdge(store, 'access_log', 'count()')).get('r-a→r-b')).toBe(10);
      expect((await countsByEdge(store, 'edge_stats', 'sum(requests)')).get('r-a→r-b')).toBe(10);
      const [endpoint] = await store.query<{ n: string }>(
        "SELECT sum(requests) AS n FROM endpoint_stats WHERE destination_cluster = 'r-b'",
      );
      expect(Number(endpoint?.n)).toBe(10);
      expect(await sink.highWaterMark(7)).toBe(109);
    });
  });

  describe('crashes (the job in a child process, SIGKILLed while records flow)', () => {
    it('still stores exactly 20,000 per edge after 4 SIGKILLs and restarts', {
      timeout: 400_000,
    }, async () => {
      const dir = tempDir('rollup-crash');
      const group = 'rollup-test-crash';
      const childLog = createWriteStream(path.join(dir, 'child.log'));
      const children = new Set<ChildProcess>(); // killed in `finally` if a check failed
      let stopProducing = false;
      // `meshgraph jobs`, the way an operator runs it; the smallest session timeout the broker
      // allows, so a SIGKILLed member leaves the group in ~6 s.
      const startChild = async (): Promise<{ child: ChildProcess; port: number }> => {
        const args = ['jobs', '--brokers', brokers.join(','), '--admin-port', '0'];
        args.push('--clickhouse', `chdb://${path.join(dir, 'chdb')}`, '--group', group);
        args.push('--session-timeout', String(jobTimings.sessionTimeoutMs));
        const child = spawn(
          process.execPath,
          [path.join(projectRoot, 'bin/meshgraph.js'), ...args],
          {
            cwd: projectRoot,
            env: { ...process.env, MESHGRAPH_LOG_LEVEL: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        children.add(child);
        child.once('exit', () => children.delete(child));
        child.stderr?.pipe(childLog, { end: false });
        const line = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
          child.once('exit', (code) =>
            reject(new Error(`meshgraph jobs exited (${code}) at start`)),
          );
        });
        const port = Number(/admin on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
        if (!port) throw new Error(`meshgraph jobs printed '${line}', not its admin address`);
        return { child, port };
      };
      const exited = (child: ChildProcess) =>
        new Promise<number | null>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
          else child.once('exit', (code) => resolve(code));
        });

      const edges = ['c-web→c-api', 'c-api→c-db', 'c-api→c-llm', 'c-gw→c-web'];
      const total = 20_000;
      let kills = 0;
      const killsWanted = 4;
      // The producer: 100 records every 50 ms, event time = now; the last fifth waits until
      // every kill happened, so records are flowing at each one.
      const producing = (async () => {
        for (let sent = 0; sent < total && !stopProducing; sent += 100) {
          if (sent >= total * 0.8)
            await until('the kills', () => kills >= killsWanted || stopProducing, 300_000);
          const records = Array.from({ length: 100 }, (_, j) => {
            const i = sent + j;
            const [source, destination] = (edges[i % 4] ?? '').split('→');
            return {
              startTimeUs: Date.now() * 1000,
              sourceService: source,
              destinationCluster: destination,
              upstreamEndpoint: `10.1.0.${i % 3}:80`,
              status: 200,
              durationUs: 1000 + (i % 997),
              requestId: `crash-${i}`,
            };
          });
          await producer.sendBatch({
            acks: -1,
            topicMessages: [{ topic: accessLogsTopic.name, messages: packedPerEdge(records) }],
          });
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      // Kill points, each read from the running child's own metrics (they restart at zero).
      const killPoints: Array<[string, (m: string) => boolean]> = [
        [
          '9,000 rows inserted',
          (m) => sample(m, 'meshgraph_rollup_records_inserted_total') >= 9000,
        ],
        ['its first insert done', (m) => sample(m, 'meshgraph_rollup_insert_seconds_count') >= 1],
        [
          '5 one-second windows emitted',
          (m) => sample(m, 'meshgraph_rollup_windows_emitted_total', 'window="1s"') >= 5,
        ],
        [
          'its first commit',
          (m) => sample(m, 'meshgraph_rollup_last_commit_timestamp_seconds') > 0,
        ],
      ];
      try {
        const t0 = performance.now();
        for (const [point, reached] of killPoints) {
          const { child, port } = await startChild();
          let seen = '';
          await until(
            `the child at '${point}'`,
            async () => {
              seen = await scrape(port);
              return reached(seen);
            },
            120_000,
          );
          child.kill('SIGKILL');
          const progress = Object.fromEntries(
            ['consumed', 'inserted', 'skipped'].map((n) => [
              n,
              sample(seen, `meshgraph_rollup_records_${n}_total`),
            ]),
          );
          await exited(child);
          kills += 1;
          log.warn(
            { point, ...progress, s: Math.round((performance.now() - t0) / 1000) },
            'rollup child SIGKILLed',
          );
        }
        await producing;

        const { child, port } = await startChild();
        const admin = kafka.admin();
        await admin.connect();
        const childTail = () =>
          readFileSync(path.join(dir, 'child.log'), 'utf8').split('\n').slice(-30).join('\n');
        let last = '';
        await until(
          'the group committed to the end of every partition',
          async () => {
            const ends = await admin.fetchTopicOffsets(accessLogsTopic.name);
            const [committed] = await admin.fetchOffsets({
              groupId: group,
              topics: [accessLogsTopic.name],
            });
            last = JSON.stringify({ ends, committed: committed?.partitions });
            // An empty partition has nothing to commit (its offset stays -1).
            return ends.every(
              (e) =>
                e.high === e.low ||
                committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
            );
          },
          180_000,
        ).catch((error) => {
          throw new Error(`${error.message} (${last}); the child's log ends:\n${childTail()}`);
        });
        await admin.disconnect();
        const final = await scrape(port);
        expect(sample(final, 'meshgraph_rollup_open_windows')).toBe(0);
        const repairs = sample(final, 'meshgraph_rollup_insert_repairs_total');
        child.kill('SIGTERM');
        expect(await exited(child)).toBe(0);
        log.warn(
          { s: Math.round((performance.now() - t0) / 1000), repairsByTheLastRun: repairs },
          'crash test: all committed',
        );

        const expected = new Map(edges.map((e) => [e, total / edges.length]));
        const store = await openStore(`chdb://${path.join(dir, 'chdb')}`, log);
        try {
          const only = (m: Map<string, number>) => new Map([...m].filter(([k]) => expected.has(k)));
          expect(only(await countsByEdge(store, 'access_log', 'count()'))).toEqual(expected);
          expect(only(await countsByEdge(store, 'edge_stats', 'sum(requests)'))).toEqual(expected);
          const perDestination = await store.query<{ d: string; n: string }>(
            "SELECT destination_cluster AS d, sum(requests) AS n FROM endpoint_stats WHERE startsWith(d, 'c-') GROUP BY d ORDER BY d",
          );
          expect(perDestination.map((r) => [r.d, Number(r.n)])).toEqual(
            ['c-api', 'c-db', 'c-llm', 'c-web'].map((d) => [d, total / edges.length]),
          );
          // Every record once: a record is its request id here (a message holds several).
          const [ids] = await store.query<{ rows: string; ids: string }>(
            "SELECT count() AS rows, uniqExact(request_id) AS ids FROM access_log WHERE startsWith(request_id, 'crash-')",
          );
          expect([Number(ids?.rows), Number(ids?.ids)]).toEqual([total, total]);
        } finally {
          await store.close();
        }
        const { windows, duplicates } = windowsOf(
          await readAll(kafka, edgeStatsTopic.name),
          new Set(edges),
        );
        log.warn(
          { duplicates },
          'whole windows emitted again after a kill between emit and commit',
        );
        const whole = (seconds: number) => (w: EdgeStats) =>
          w.windowSeconds === seconds && w.upstreamEndpoint === '';
        expect(sumBy(windows, whole(10))).toEqual(expected);
        expect(sumBy(windows, whole(1))).toEqual(expected);
      } finally {
        stopProducing = true;
        for (const child of children) child.kill('SIGKILL');
        await producing.catch(() => {});
        childLog.end();
      }
    });
  });
});
