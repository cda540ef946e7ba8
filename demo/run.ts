import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type RunningMeshgraph, startMeshgraph } from '../cli/components.ts';
import { adsBootstrap } from '../envoy/bootstrap.ts';
import type { Logger } from '../lib/log.ts';
import { envoyDriver } from '../stack/envoy/driver.ts';
import { envoyBinary } from '../stack/envoy/install.ts';
import { kafkaDriver } from '../stack/kafka/driver.ts';
import { installKafka } from '../stack/kafka/install.ts';
import { freePort } from '../stack/ports.ts';
import { launch, type RunningComponent } from '../stack/process.ts';
import { demoRunTopology, meshYamlFor, startFleet, type Topology } from './fleet/topology.ts';
import { type LoadResult, type OpenLoopSummary, startOpenLoop } from './load/open-loop.ts';
import { runTimeline, type TimelineStep } from './timeline.ts';

/**
 * Options for {@link startDemo}.
 * - `runDir` (string, required): Kafka's data, Envoy's files, the mesh config and (by default)
 *   ClickHouse; what a previous demo left there is removed first, so every run starts empty.
 * - `clickhouseUrl` (string, default `chdb://<runDir>/clickhouse`, emptied at start).
 * - `brokers` (string[], default none): an existing Kafka; else one is installed and started.
 * - `ports`: `api`, `xds`, `xdsAdmin`, `collector`, `collectorAdmin`, `jobsAdmin`,
 *   `policyAdmin`, `ingress` (the Envoy listener); 0 picks a free one.
 * - `ratePerSecond` (number, required): open-loop (Poisson) requests per second to /web.
 * - `timeline` (TimelineStep[], required): the faults, started with the traffic.
 * - `topology` (Topology, default demoRunTopology): must have the instances the timeline names.
 * - `token` (string, default none): for the mutating admin routes.
 * - `log` (Logger, required).
 * - `progress` ((title, run) => Promise, default runs it): wraps each start-up step, for output.
 * - `onResult` ((LoadResult) => void), `onStep` ((step, elapsedMs) => void): traffic and
 *   timeline events as they happen.
 * - `signal` (AbortSignal, default none): aborts start-up between steps; started parts stop.
 */
export interface DemoOptions {
  runDir: string;
  clickhouseUrl?: string | undefined;
  brokers?: string[] | undefined;
  ports: RunningMeshgraph['ports'] & { ingress: number };
  ratePerSecond: number;
  timeline: TimelineStep[];
  topology?: Topology;
  token?: string | undefined;
  log: Logger;
  progress?: <T>(title: string, run: () => Promise<T>) => Promise<T>;
  onResult?: (result: LoadResult) => void;
  onStep?: (step: TimelineStep, elapsedMs: number) => void;
  signal?: AbortSignal;
}

export interface RunningDemo {
  readonly urls: Readonly<
    Record<'api' | 'page' | 'dashboards' | 'ingress' | 'envoyAdmin' | 'xdsAdmin', string>
  >;
  readonly meshgraph: RunningMeshgraph;
  readonly clickhouseUrl: string;
  /** Instance name → `127.0.0.1:port`, the endpoint Envoy and the graph know it by. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Processes this demo started: Kafka (unless `brokers` was given) and Envoy. */
  readonly pids: Readonly<Record<string, number>>;
  /** Settles if Kafka or Envoy exits on its own: the demo cannot go on. */
  readonly failed: Promise<Error>;
  /** Stops everything, newest first (idempotent); resolves to the load generator's summary. */
  close(): Promise<OpenLoopSummary | undefined>;
}

/**
 * The whole demo: Kafka, the fleet, every meshgraph component (startMeshgraph), one Envoy on
 * ADS, open-loop traffic into web and the fault timeline. Services call each other through the
 * same Envoy listener the traffic enters by, so every hop is proxied and logged.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { runDir, log, signal } = options;
  const progress = options.progress ?? ((_title, run) => run());
  const topology = options.topology ?? demoRunTopology;
  const clickhouseUrl = options.clickhouseUrl ?? `chdb://${path.join(runDir, 'clickhouse')}`;
  for (const part of ['kafka', 'envoy', ...(options.clickhouseUrl ? [] : ['clickhouse'])])
    rmSync(path.join(runDir, part), { recursive: true, force: true });
  const closers: Array<() => Promise<unknown>> = [];
  const children: RunningComponent[] = [];
  let load: { stop(): Promise<OpenLoopSummary> } | undefined;
  let closed: Promise<OpenLoopSummary | undefined> | undefined;
  const close = () => {
    closed ??= (async () => {
      const summary = await load?.stop();
      for (const closeOne of closers.reverse())
        await closeOne().catch((err: Error) => log.error({ err }, 'demo: stop failed'));
      return summary;
    })();
    return closed;
  };
  const step = async <T>(title: string, run: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    return progress(title, run);
  };
  try {
    await step('checking Envoy', async () => envoyBinary());
    let brokers = options.brokers;
    if (!brokers) {
      const kafkaLog = log.child({ component: 'kafka' });
      await step('installing Kafka', () => installKafka(kafkaLog));
      const kafka = await step('starting Kafka', () =>
        launch(kafkaDriver(), path.join(runDir, 'kafka'), { log: kafkaLog }),
      );
      closers.push(() => kafka.stop());
      children.push(kafka);
      brokers = [`127.0.0.1:${kafka.plan.port}`];
    }
    const ingress = options.ports.ingress || (await freePort());
    const collector = options.ports.collector || (await freePort());
    const fleet = await step('starting the demo fleet', () =>
      startFleet(topology, { envoyPort: ingress }),
    );
    closers.push(() => fleet.close());
    const configFile = path.join(runDir, 'mesh.yaml');
    writeFileSync(configFile, meshYamlFor(topology, fleet.ports, collector, ingress));
    const meshgraph = await step('starting meshgraph (xds, collector, rollup, graph, API)', () =>
      startMeshgraph({
        configFile,
        brokers,
        clickhouseUrl,
        token: options.token,
        ports: { ...options.ports, collector },
        runDir,
        log,
      }),
    );
    closers.push(() => meshgraph.close());
    const envoy = await step('starting Envoy', () =>
      launch(
        envoyDriver({
          bootstrap: (ports) =>
            adsBootstrap({
              adminPort: ports.admin as number,
              xdsPort: meshgraph.ports.xds,
              nodeId: 'demo-envoy',
            }),
          concurrency: 1,
        }),
        path.join(runDir, 'envoy'),
        { log: log.child({ component: 'envoy' }) },
      ),
    );
    closers.push(() => envoy.stop());
    children.push(envoy);
    await step('waiting for web to answer through Envoy', () => untilAnswers(ingress, signal));
    signal?.throwIfAborted();
    load = startOpenLoop({
      ratePerSecond: options.ratePerSecond,
      target: () => ({ url: `http://127.0.0.1:${ingress}/web` }),
      ...(options.onResult && { onResult: options.onResult }),
    });
    const timeline = runTimeline(options.timeline, {
      faults: fleet.faults,
      ...(options.onStep && { onStep: options.onStep }),
    });
    closers.push(async () => timeline.stop());
    const api = `http://127.0.0.1:${meshgraph.ports.api}`;
    let closing = false;
    return {
      urls: {
        api,
        page: `${api}/ui`,
        dashboards: `${api}/ui/dashboards`,
        ingress: `http://127.0.0.1:${ingress}/web`,
        envoyAdmin: `http://127.0.0.1:${envoy.plan.port}`,
        xdsAdmin: `http://127.0.0.1:${meshgraph.ports.xdsAdmin}`,
      },
      meshgraph,
      clickhouseUrl,
      endpoints: Object.fromEntries(
        Object.entries(fleet.ports).map(([name, port]) => [name, `127.0.0.1:${port}`]),
      ),
      pids: Object.fromEntries(children.map((c) => [c.name, c.pid])),
      failed: Promise.race(
        children.map(async (c) => {
          const exit = await c.exited;
          // Settling after close() would be noise: every child exits then.
          if (closing) await new Promise(() => {});
          return new Error(
            `${c.name} exited (code ${exit.code}, signal ${exit.signal}); see ${c.logFile}`,
          );
        }),
      ),
      close: () => {
        closing = true;
        return close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Envoy serves the listener only once LDS, RDS, CDS and EDS have all arrived. */
async function untilAnswers(port: number, signal: AbortSignal | undefined, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const response = await fetch(`http://127.0.0.1:${port}/web`, {
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(
        `no answer from web through Envoy on 127.0.0.1:${port} after ${timeoutMs} ms`,
      );
    await delay(200);
  }
}
