import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';
import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { projectRoot } from '../../stack/paths.ts';
import { accessLogsTopic, edgeStatsTopic } from '../../stream-jobs/topics.ts';
import {
  countsByEdge,
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

// The rollup job's exactly-once under crashes: `meshgraph jobs` in a child process against a
// real Kafka, SIGKILLed four times at chosen points while records flow, then run to the end;
// every record must be in ClickHouse and edge-stats.v1 exactly once. The in-process cases are
// in rollup.test.ts.

const log = createLogger('rollup-crash-test', {
  level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn',
});

describe('rollup job: access-logs.v2 → ClickHouse + edge-stats.v1', () => {
  let fixture: RollupKafka;

  beforeAll(async () => {
    fixture = await startRollupKafka(log);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  describe('crashes (the job in a child process, SIGKILLed while records flow)', () => {
    it('still stores exactly 20,000 per edge after 4 SIGKILLs and restarts', {
      timeout: 400_000,
    }, async () => {
      const { brokers, kafka, producer } = fixture;
      const dir = fixture.tempDir('rollup-crash');
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
            await waitFor('the kills', () => kills >= killsWanted || stopProducing, 300_000);
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
          await waitFor(
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
        await waitFor(
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
