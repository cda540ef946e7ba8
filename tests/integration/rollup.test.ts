import type { Kafka, Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';
import {
  AccessLogRecord,
  type DeepPartial,
} from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
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
import {
  countsByEdge,
  encoded,
  jobTimings,
  packedPerEdge,
  type RollupKafka,
  readAll,
  sample,
  scrape,
  startRollupKafka,
  sumBy,
  windowsOf,
} from '../support/rollup-fixtures.ts';
import { waitFor } from '../support/xds.ts';

// The rollup job in this process against a real Kafka and the embedded ClickHouse: exact
// rollups, dead letters, repair of a cut-short insert. Its crash suite (the job SIGKILLed in a
// child process) is rollup-crash.test.ts.

const log = createLogger('rollup-test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
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

describe('rollup job: access-logs.v2 → ClickHouse + edge-stats.v1', () => {
  let fixture: RollupKafka;
  let kafka: Kafka;
  let producer: Producer;
  let brokers: string[];
  const tempDir = (name: string) => fixture.tempDir(name);

  beforeAll(async () => {
    fixture = await startRollupKafka(log);
    ({ kafka, producer, brokers } = fixture);
  });

  afterAll(async () => {
    await fixture?.close();
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
      await store?.close();
    });

    const metric = async (name: string, labels = '') =>
      sample(await scrape(rollup.adminPort), name, labels);

    it('rolls 5,000 records over 3 edges up exactly: access_log, edge_stats, endpoint_stats, edge-stats.v1', async () => {
      await waitFor('readiness', async () => {
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
      await waitFor('5,000 rows inserted and every window closed', async () => {
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
      await waitFor('the valid records and both dead letters', async () => {
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
});
