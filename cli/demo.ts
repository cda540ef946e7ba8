import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { LoadResult } from '../demo/load/open-loop.ts';
import { quantile } from '../demo/load/recorder.ts';
import { type RunningDemo, startDemo } from '../demo/run.ts';
import { demoTimeline, type TimelineStep, timelinePresets } from '../demo/timeline.ts';
import { createLogger } from '../lib/log.ts';
import { projectRoot } from '../stack/paths.ts';
import { parseDuration } from '../xds-server/mesh-config/durations.ts';
import { parseBrokers } from './collector.ts';
import { UsageError } from './errors.ts';
import { portOption } from './options.ts';

/** Port flags: name → the default, used when free (else any free port, so two demos coexist). */
const portFlags = {
  api: ['--api-port', 18080, 'graph API, live page and dashboards'],
  ingress: ['--ingress-port', 10000, "Envoy's listener: the traffic and every service hop"],
  xds: ['--xds-port', 18000, 'ADS gRPC'],
  xdsAdmin: ['--xds-admin-port', 18001, 'xds-server admin'],
  collector: ['--collector-port', 18090, 'access-log (gRPC ALS) collector'],
  collectorAdmin: ['--collector-admin-port', 18091, 'collector admin'],
  jobsAdmin: ['--jobs-admin-port', 18092, 'rollup job admin'],
  policyAdmin: ['--policy-admin-port', 18093, 'routing policy admin'],
} as const;
type PortName = keyof typeof portFlags;

interface DemoFlags extends Partial<Record<`${PortName}Port`, string>> {
  rate: string;
  timeline: 'default' | 'fast';
  slowAt?: string;
  errorsAt?: string;
  recoverAt?: string;
  duration?: string;
  brokers?: string;
  clickhouse?: string;
  token?: string;
  runDir: string;
}

export function demoCommand(): Command {
  const command = new Command('demo')
    .description(
      'run the whole loop on this machine: Kafka, every meshgraph component, a demo fleet behind one Envoy, open-loop traffic and a scripted fault timeline (slow instance, error burst, recovery); Ctrl-C stops everything',
    )
    .option('--rate <req/s>', 'open-loop (Poisson) requests per second into web', '50')
    .addOption(
      new Option('--timeline <preset>', 'fault times: default 60/120/180 s, fast 20/40/60 s')
        .choices(['default', 'fast'])
        .default('default'),
    )
    .option('--slow-at <duration>', 'when catalog-2 turns slow (overrides the preset), e.g. 90s')
    .option('--errors-at <duration>', 'when db-3 starts failing half its requests')
    .option('--recover-at <duration>', 'when both recover')
    .option('--duration <duration>', 'stop after this long of traffic, e.g. 5m (default: Ctrl-C)')
    .option('--brokers <host:port,...>', 'use this Kafka instead of starting one')
    .option(
      '--clickhouse <url>',
      'chdb:///folder or http://host:port (default: <run-dir>/clickhouse)',
    )
    .option(
      '--token <token>',
      'bearer token for mutating admin routes (env MESHGRAPH_TOKEN)',
      process.env.MESHGRAPH_TOKEN,
    )
    .option(
      '--run-dir <dir>',
      'Kafka, Envoy, mesh config, ClickHouse and the log; emptied at start',
      path.join(projectRoot, '.meshgraph', 'demo'),
    );
  for (const [flag, port, what] of Object.values(portFlags))
    command.option(`${flag} <port>`, `${what} (default ${port}, or a free one if taken)`);
  return command
    .addHelpText(
      'after',
      `
Timeline (times from the start of the traffic): catalog-2 turns slow (+250 ms), db-3 fails
50% of its requests, both recover. catalog and db have three instances each under
policy: adaptive. Envoy must be installed (meshgraph stack install); Kafka is installed on
first use. Exit codes: 0 stopped by --duration or a signal once running, 130 interrupted while
starting, 2 bad usage, 3 missing prerequisite, 1 anything else.
`,
    )
    .action(runDemoCommand);
}

function durationFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (typeof ms === 'string') throw new UsageError(`${flag}: ${ms}`);
  return ms;
}

/** Binding is the only honest check: something may listen on 0.0.0.0 or accept no connections. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function choosePorts(flags: DemoFlags): Promise<Record<PortName, number>> {
  const entries = await Promise.all(
    (Object.entries(portFlags) as [PortName, (typeof portFlags)[PortName]][]).map(
      async ([name, [flag, preferred]]) => {
        const given = flags[`${name}Port`];
        if (given !== undefined) return [name, portOption(given, flag)] as const;
        return [name, (await canBind(preferred)) ? preferred : 0] as const;
      },
    ),
  );
  return Object.fromEntries(entries) as Record<PortName, number>;
}

/** A step's time: tenths of a second. */
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** A point in the run, from the start of the traffic: `+20 s`, padded so messages line up. */
const at = (ms: number) => `+${Math.round(ms / 1000)} s`.padEnd(7);
const say = (line: string) => process.stdout.write(`${line}\n`);

async function runDemoCommand(flags: DemoFlags): Promise<void> {
  const rate = Number(flags.rate);
  if (!(rate > 0 && rate <= 10_000))
    throw new UsageError(`--rate must be 0 < rate ≤ 10000, got '${flags.rate}'`);
  const timeline = timelineFrom(flags);
  const durationMs = durationFlag(flags.duration, '--duration');
  const ports = await choosePorts(flags);
  mkdirSync(flags.runDir, { recursive: true });
  const logFile = path.join(flags.runDir, 'meshgraph.log');
  rmSync(logFile, { force: true });
  // The terminal shows progress and events; the components' JSON logs go to the file.
  const log = createLogger('demo', { destination: logFile });
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) {
      say(`${signal} again: exiting now (children die with this process)`);
      process.exit(130);
    }
    say(`\n${signal}: stopping everything (again to force)`);
    interrupted.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const traffic = new TrafficWindow();
  say(`meshgraph demo: starting (log: ${logFile})`);
  try {
    const running = await startDemo({
      runDir: flags.runDir,
      clickhouseUrl: flags.clickhouse,
      brokers: flags.brokers ? parseBrokers(flags.brokers) : undefined,
      ports,
      ratePerSecond: rate,
      timeline,
      token: flags.token,
      log,
      signal: interrupted.signal,
      progress: timed,
      onResult: traffic.add,
      onStep: (step, elapsedMs) => say(`${at(elapsedMs)} ${step.what}: watch ${step.watch}`),
    }).catch((error) => {
      if (!interrupted.signal.aborted) throw error;
      say('interrupted while starting: everything that had started is stopped');
      process.exitCode = 130;
      return undefined;
    });
    if (!running) return;
    say(banner(running, timeline, rate, flags.duration));
    const startedAt = performance.now();
    const status = setInterval(
      () => say(`${at(performance.now() - startedAt)} ${traffic.flush()}`),
      10_000,
    );
    let stopTimer: NodeJS.Timeout | undefined;
    const why = await new Promise<string | Error>((resolve) => {
      interrupted.signal.addEventListener('abort', () => resolve('signal'));
      if (durationMs)
        stopTimer = setTimeout(() => resolve(`--duration ${flags.duration} reached`), durationMs);
      void running.failed.then(resolve);
    });
    clearInterval(status);
    clearTimeout(stopTimer);
    if (typeof why === 'string' && why !== 'signal') say(why);
    const summary = await timed('stopping', () => running.close());
    if (summary)
      say(
        `traffic: ${summary.sent} requests sent, ${summary.answered} answered, ${summary.failed} without an answer`,
      );
    if (why instanceof Error) throw why;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function timelineFrom(flags: DemoFlags): TimelineStep[] {
  const preset = timelinePresets[flags.timeline];
  try {
    return demoTimeline({
      slowAtMs: durationFlag(flags.slowAt, '--slow-at') ?? preset.slowAtMs,
      errorsAtMs: durationFlag(flags.errorsAt, '--errors-at') ?? preset.errorsAtMs,
      recoverAtMs: durationFlag(flags.recoverAt, '--recover-at') ?? preset.recoverAtMs,
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--slow-at, --errors-at, --recover-at: ${(error as Error).message}`);
  }
}

function banner(running: RunningDemo, timeline: TimelineStep[], rate: number, duration?: string) {
  const { urls, meshgraph, pids } = running;
  const pid = (name: string) => (pids[name] ? ` (pid ${pids[name]})` : '');
  const targets = [...new Set(timeline.flatMap((s) => Object.keys(s.faults)))];
  return [
    '',
    `meshgraph demo is running: ${rate} req/s (open loop, Poisson) into web`,
    `  live page    ${urls.page}`,
    `  dashboards   ${urls.dashboards}`,
    `  graph API    ${urls.api}   (/v1/graph, /v1/analyses/root-cause?symptom=web, /openapi.json)`,
    `  Envoy        ${urls.ingress}   admin ${urls.envoyAdmin}${pid('envoy')}`,
    `  xds admin    ${urls.xdsAdmin}   (/v1/routing: the weights Envoy gets)`,
    `  decisions    ${urls.api}/v1/decisions   (/v1/decisions/catalog/explain: why each weight)`,
    `  Kafka        ${meshgraph.brokers.join(',')}${pid('kafka')}`,
    `  ClickHouse   ${running.clickhouseUrl}`,
    'what to watch:',
    ...timeline.map((s) => `  at ${at(s.atMs)} ${s.what}: watch ${s.watch}`),
    `  (${targets.map((t) => `${t} is ${running.endpoints[t]}`).join(', ')})`,
    duration
      ? `stops by itself after ${duration} of traffic; Ctrl-C stops it sooner`
      : 'Ctrl-C stops everything',
    '',
  ].join('\n');
}

/** "starting Kafka… ok 3.2 s": one line per step, its time, or "failed". */
async function timed<T>(title: string, run: () => Promise<T>): Promise<T> {
  process.stdout.write(`${title}… `);
  const started = performance.now();
  try {
    const value = await run();
    say(`ok ${seconds(performance.now() - started)}`);
    return value;
  } catch (error) {
    say(`failed after ${seconds(performance.now() - started)}`);
    throw error;
  }
}

/** The traffic since the last status line: rate, errors and latency from intended send time. */
class TrafficWindow {
  #latencies: number[] = [];
  #errors = 0;
  #since: number | undefined;
  readonly add = (result: LoadResult): void => {
    this.#since ??= performance.now() - result.latencyMs;
    this.#latencies.push(result.latencyMs);
    if (result.status === 0 || result.status >= 500) this.#errors++;
  };
  flush(): string {
    const sorted = Float64Array.from(this.#latencies).sort();
    const elapsed = (performance.now() - (this.#since ?? performance.now())) / 1000;
    const n = sorted.length;
    const line =
      n === 0
        ? 'no answers in the last window'
        : `traffic ${(n / elapsed).toFixed(1)} req/s, ${((100 * this.#errors) / n).toFixed(1)}% errors, p50 ${quantile(sorted, 0.5).toFixed(0)} ms, p99 ${quantile(sorted, 0.99).toFixed(0)} ms`;
    this.#latencies = [];
    this.#errors = 0;
    this.#since = performance.now();
    return line;
  }
}
