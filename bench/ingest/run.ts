/**
 * The ingest benchmark driver: for each offered rate, a fresh Kafka (native broker), collector,
 * rollup (embedded ClickHouse) and synthetic ALS client, each its own process; the client sends
 * open loop for warm-up + window; the driver reads CPU and memory from /proc and Kafka's end
 * offsets at the window's edges, the rollup child the lag of every record at its insert
 * acknowledgment (rollup.ts). Options: options.ts (`--help`); method: README.md.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../lib/log.ts';
import { kafkaDriver } from '../../stack/kafka/driver.ts';
import { installKafka } from '../../stack/kafka/install.ts';
import { launch, type RunningComponent } from '../../stack/process.ts';
import { accessLogsTopic } from '../../stream-jobs/topics.ts';
import { machineInfo } from '../xds-scale/machine.ts';
import { type Options, parseOptions, usage } from './options.ts';
import { cpuMs, loadAverage, machineCpuMs, rssBytes } from './proc.ts';
import type {
  FromClient,
  FromCollector,
  FromRollup,
  ToClient,
  ToCollector,
  ToRollup,
} from './protocol.ts';
import { Peer } from './protocol.ts';
import {
  machineLine,
  markdown,
  type RateResult,
  type Report,
  type Role,
  ratiosTable,
  resultsTable,
  roles,
} from './report.ts';
import { rateResult, type Snapshot } from './result.ts';

const log = createLogger('bench-ingest', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const progress = (line: string) => process.stderr.write(`[ingest] ${line}\n`);

/**
 * MESHGRAPH_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the collector and the rollup into DIR
 * (open in Chrome DevTools); profiling costs CPU, so figures from such a run are not results.
 */
function profileArgs(): string[] {
  const dir = process.env.MESHGRAPH_BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`] : [];
}

async function measure(rate: number, options: Options): Promise<RateResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshgraph-bench-ingest-'));
  const here = import.meta.url;
  let kafka: RunningComponent | undefined;
  const peers: Array<{ stop(graceMs?: number): Promise<void> }> = [];
  try {
    kafka = await launch(kafkaDriver(), join(dir, 'kafka'), { log });
    const brokers = [`127.0.0.1:${kafka.plan.port}`];
    const collector = new Peer<ToCollector, FromCollector>(
      'collector',
      new URL('./collector.ts', here),
      profileArgs(),
    );
    const rollup = new Peer<ToRollup, FromRollup>(
      'rollup',
      new URL('./rollup.ts', here),
      profileArgs(),
    );
    const client = new Peer<ToClient, FromClient>('client', new URL('./client.ts', here));
    peers.push(client, collector, rollup);
    const [{ grpcPort, adminPort }] = await Promise.all([
      collector.ask({ type: 'start', brokers }, 'ready'),
      rollup.ask({ type: 'start', brokers, dir: join(dir, 'clickhouse') }, 'ready'),
    ]);
    await client.ask(
      { type: 'start', port: grpcPort, streams: options.streams, batch: options.batch },
      'ready',
    );
    // Records Kafka acknowledged, as the collector counts them (a message packs many, so the
    // topic's end offsets count messages, not records).
    const producedSample = `meshgraph_collector_produced_total{topic="${accessLogsTopic.name}"}`;
    const produced = async () => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${producedSample} `));
      return Number(line?.slice(producedSample.length + 1) ?? 0);
    };
    const pids: Record<Role, number> = {
      client: client.child.pid as number,
      collector: collector.child.pid as number,
      kafka: kafka.pid,
      rollup: rollup.child.pid as number,
      driver: process.pid,
    };
    const snapshot = async (): Promise<Snapshot> => {
      const count = await produced();
      const cpu = Object.fromEntries(roles.map((r) => [r, cpuMs(pids[r]) ?? Number.NaN])) as Record<
        Role,
        number
      >;
      return { at: Date.now(), cpu, machine: machineCpuMs()?.busy ?? Number.NaN, produced: count };
    };

    const loadAverageBefore = loadAverage();
    const t0 = Date.now() + 500;
    const from = t0 + options.warmupS * 1000;
    const to = from + options.durationS * 1000;
    rollup.send({ type: 'window', t0, from, to });
    const done = client.ask(
      { type: 'go', t0, rate, durationMs: to - t0 },
      'done',
      to - t0 + 300_000,
    );
    await sleep(from - Date.now());
    const first = await snapshot();
    const rss = { collector: [] as number[], rollup: [] as number[], kafka: [] as number[] };
    while (Date.now() < to - 1000) {
      for (const k of ['collector', 'rollup', 'kafka'] as const)
        rss[k].push(rssBytes(pids[k]) ?? Number.NaN);
      await sleep(Math.min(1000, to - Date.now()));
    }
    await sleep(Math.max(0, to - Date.now()));
    const last = await snapshot();
    for (const k of ['collector', 'rollup', 'kafka'] as const)
      rss[k].push(rssBytes(pids[k]) ?? Number.NaN);
    const sentInfo = await done;
    progress(`${rate}/s: sent ${sentInfo.sent}; draining`);
    const drainStart = Date.now();
    let report = await rollup.ask({ type: 'report' }, 'report');
    while (report.inserted < sentInfo.sent && Date.now() - drainStart < options.drainS * 1000) {
      await sleep(500);
      report = await rollup.ask({ type: 'report' }, 'report');
    }
    const drainMs = Date.now() - drainStart;
    const window = { from, to, first, last, rss, loadAverageBefore, drainMs };
    return rateResult(rate, window, sentInfo, report);
  } finally {
    // Client first (no more logs), then the collector flushes, then the rollup commits.
    for (const peer of peers) await peer.stop(15_000);
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function write(path: string | undefined, text: string): void {
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Runs the benchmark with `argv` (options.ts); `command` is what the report says was run. */
export async function runIngestBench(
  argv: readonly string[],
  command = ['npx tsx bench/ingest/run.ts', ...argv].join(' '),
): Promise<Report | undefined> {
  const options = parseOptions(argv);
  if (options.help) return void process.stdout.write(usage);
  await installKafka(log);
  const machine = machineInfo();
  const date = new Date().toISOString();
  console.log(`machine: ${machineLine(machine)}\ncommand: ${command}\ndate:    ${date}\n`);
  const results: RateResult[] = [];
  for (const rate of options.rates) {
    progress(`offering ${rate} records/s`);
    const result = await measure(rate, options);
    progress(
      `${rate}/s: inserted ${Math.round(result.insertedPerS)}/s, lag p99 ${result.lagMs.p99} ms`,
    );
    results.push(result);
  }
  const { json, md, help, ...shown } = options;
  const report: Report = { benchmark: 'ingest', date, command, machine, options: shown, results };
  console.log(`${resultsTable(results)}\n\n${ratiosTable(results)}`);
  write(md, markdown(report));
  write(json, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runIngestBench(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  });
}
