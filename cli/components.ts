import path from 'node:path';
import type { ApiPlugin } from '../api/app.ts';
import { policyApiPlugin } from '../api/policy/plugin.ts';
import { startApi } from '../api/start.ts';
import { openStore } from '../lib/clickhouse/store.ts';
import type { Logger } from '../lib/log.ts';
import { kafkaDriver } from '../stack/kafka/driver.ts';
import { installKafka } from '../stack/kafka/install.ts';
import { launch } from '../stack/process.ts';
import { startCollector } from '../stream-jobs/collector/start.ts';
import { graphAt } from '../stream-jobs/graph/history.ts';
import { startGraphView } from '../stream-jobs/graph/replay.ts';
import { explainDecision } from '../stream-jobs/policy/explain.ts';
import { defaultPolicyOptions, type PolicyOptions } from '../stream-jobs/policy/options.ts';
import { startPolicyJob } from '../stream-jobs/policy/start.ts';
import { startRollup } from '../stream-jobs/rollup/start.ts';
import { startXdsServer } from '../xds-server/start.ts';

/**
 * Options for {@link startMeshgraph}: every component of meshgraph in this process.
 * - `configFile` (string, required): the mesh config YAML, hot-reloaded.
 * - `brokers` (string[], default none): an existing Kafka; without it a native single-node
 *   broker is installed if needed and started under `runDir/kafka`, owned by this process.
 * - `clickhouseUrl` (string, required): `chdb:///folder` or `http://host:port`; the same URL is
 *   opened once per process, so the embedded engine is shared by the rollup job and the API.
 * - `token` (string, default none): bearer token for mutating admin routes (none → refused).
 * - `ports` (object, required): `xds`, `xdsAdmin`, `collector`, `collectorAdmin`, `jobsAdmin`,
 *   `policyAdmin`, `api`; 0 picks a free one.
 * - `policy` (PolicyOptions, default defaultPolicyOptions): the routing policy's settings; it
 *   moves the weights of clusters with `policy: adaptive`.
 * - `runDir` (string, required): where the started Kafka keeps its data and log.
 * - `apiPlugins` (ApiPlugin[], default none): extra API routes (e.g. the live page).
 * - `log` (Logger, required): each component logs as its child (`component`).
 */
export interface MeshgraphOptions {
  configFile: string;
  brokers?: string[] | undefined;
  clickhouseUrl: string;
  token?: string | undefined;
  ports: {
    xds: number;
    xdsAdmin: number;
    collector: number;
    collectorAdmin: number;
    jobsAdmin: number;
    policyAdmin: number;
    api: number;
  };
  policy?: PolicyOptions;
  runDir: string;
  apiPlugins?: ApiPlugin[];
  log: Logger;
}

/** What is running, where; `close()` stops it all, newest first. */
export interface RunningMeshgraph {
  readonly brokers: string[];
  /** The pid of the Kafka broker this process started, if it started one. */
  readonly kafkaPid: number | undefined;
  readonly ports: {
    readonly xds: number;
    readonly xdsAdmin: number;
    readonly collector: number;
    readonly collectorAdmin: number;
    readonly jobsAdmin: number;
    readonly policyAdmin: number;
    readonly api: number;
  };
  /** The mesh config's accessLog points at this collector (else Envoy logs go elsewhere). */
  readonly accessLogReachesCollector: boolean;
  close(): Promise<void>;
}

/** Closes what started, newest first, whatever fails along the way. */
class Closers {
  readonly #closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
  add(name: string, close: () => Promise<unknown>) {
    this.#closers.push({ name, close });
  }
  async closeAll(log: Logger) {
    for (const { name, close } of this.#closers.reverse()) {
      await close().catch((error: Error) =>
        log.error({ err: error, component: name }, 'stop failed'),
      );
    }
  }
}

export async function startMeshgraph(options: MeshgraphOptions): Promise<RunningMeshgraph> {
  const { log, ports } = options;
  const closers = new Closers();
  try {
    let brokers = options.brokers;
    let kafkaPid: number | undefined;
    if (!brokers) {
      const kafkaLog = log.child({ component: 'kafka' });
      await installKafka(kafkaLog);
      const kafka = await launch(kafkaDriver(), path.join(options.runDir, 'kafka'), {
        log: kafkaLog,
      });
      closers.add('kafka', () => kafka.stop());
      brokers = [`127.0.0.1:${kafka.plan.port}`];
      kafkaPid = kafka.pid;
    }
    const collector = await startCollector({
      brokers,
      grpcAddress: `127.0.0.1:${ports.collector}`,
      adminPort: ports.collectorAdmin,
      log: log.child({ component: 'collector' }),
    });
    closers.add('collector', () => collector.close());
    const rollup = await startRollup({
      brokers,
      clickhouseUrl: options.clickhouseUrl,
      adminPort: ports.jobsAdmin,
      log: log.child({ component: 'rollup' }),
    });
    closers.add('rollup', () => rollup.close());
    const store = await openStore(options.clickhouseUrl, log);
    closers.add('clickhouse', () => store.close());
    const view = await startGraphView({ brokers, log: log.child({ component: 'graph-view' }) });
    closers.add('graph-view', () => view.close());
    const xds = await startXdsServer({
      configFile: options.configFile,
      grpcAddress: `127.0.0.1:${ports.xds}`,
      adminPort: ports.xdsAdmin,
      brokers,
      ...(options.token && { token: options.token }),
      log: log.child({ component: 'xds' }),
    });
    closers.add('xds', () => xds.close());
    const accessLog = xds.controlPlane.currentConfig()?.accessLog;
    const accessLogReachesCollector = accessLog?.port === collector.grpcPort;
    if (!accessLogReachesCollector) {
      log.warn(
        { accessLog, collectorPort: collector.grpcPort },
        'the mesh config accessLog does not point at this collector: Envoy logs will not reach meshgraph',
      );
    }
    const policy = await startPolicyJob({
      brokers,
      store,
      meshConfig: () => xds.controlPlane.currentConfig(),
      policy: options.policy ?? defaultPolicyOptions,
      adminPort: ports.policyAdmin,
      log: log.child({ component: 'policy' }),
    });
    closers.add('policy', () => policy.close());
    const api = await startApi({
      fold: view.fold,
      history: (tMs, horizon) => graphAt(store, tMs, horizon),
      log: log.child({ component: 'api' }),
      port: ports.api,
      store,
      token: options.token,
      extraPlugins: [
        policyApiPlugin(policy.control, { explain: explainDecision }),
        ...(options.apiPlugins ?? []),
      ],
      ready: () =>
        view.isReady() ? { ready: true } : { ready: false, reason: 'catching up on edge-stats.v1' },
    });
    closers.add('api', () => api.close());
    return {
      brokers,
      kafkaPid,
      ports: {
        xds: xds.grpcPort,
        xdsAdmin: xds.adminPort,
        collector: collector.grpcPort,
        collectorAdmin: collector.adminPort,
        jobsAdmin: rollup.adminPort,
        policyAdmin: policy.adminPort,
        api: api.port,
      },
      accessLogReachesCollector,
      close: () => closers.closeAll(log),
    };
  } catch (error) {
    await closers.closeAll(log);
    throw error;
  }
}
