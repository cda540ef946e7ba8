import path from 'node:path';
import { Command } from 'commander';
import { startApi } from '../api/start.ts';
import { openStore } from '../lib/clickhouse/store.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { kafkaDriver } from '../stack/kafka/driver.ts';
import { installKafka } from '../stack/kafka/install.ts';
import { defaultClickHouseUrl, projectRoot } from '../stack/paths.ts';
import { launch } from '../stack/process.ts';
import { startCollector } from '../stream-jobs/collector/start.ts';
import { graphAt } from '../stream-jobs/graph/history.ts';
import { startGraphView } from '../stream-jobs/graph/replay.ts';
import { startRollup } from '../stream-jobs/rollup/start.ts';
import { startXdsServer } from '../xds-server/start.ts';
import { parseBrokers } from './collector.ts';
import { portOption, untilSignal } from './options.ts';

interface UpFlags {
  config: string;
  brokers?: string;
  clickhouse: string;
  token?: string;
  xdsPort: string;
  xdsAdminPort: string;
  collectorPort: string;
  collectorAdminPort: string;
  jobsAdminPort: string;
  apiPort: string;
  runDir: string;
}

/** Closes what started, newest first, whatever fails along the way. */
class Stack {
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

/** Kafka from --brokers, or a native broker started (and owned) by this process. */
async function kafkaBrokers(
  flag: string | undefined,
  runDir: string,
  stack: Stack,
  log: Logger,
): Promise<{ brokers: string[]; pid?: number }> {
  if (flag) return { brokers: parseBrokers(flag) };
  await installKafka(log);
  const kafka = await launch(kafkaDriver(), path.join(runDir, 'kafka'), { log });
  stack.add('kafka', () => kafka.stop());
  return { brokers: [`127.0.0.1:${kafka.plan.port}`], pid: kafka.pid };
}

export function upCommand(): Command {
  return new Command('up')
    .description(
      'run every meshgraph component in this process: xds-server, collector, rollup job, graph view and API (starts a native Kafka unless --brokers is given)',
    )
    .requiredOption(
      '--config <file>',
      'the mesh config YAML (env MESHGRAPH_MESH_CONFIG)',
      process.env.MESHGRAPH_MESH_CONFIG,
    )
    .option(
      '--brokers <host:port,...>',
      'an existing Kafka (env MESHGRAPH_KAFKA_BROKERS)',
      process.env.MESHGRAPH_KAFKA_BROKERS,
    )
    .option(
      '--clickhouse <url>',
      'chdb:///folder (embedded, default) or http://host:port',
      defaultClickHouseUrl(),
    )
    .option(
      '--token <token>',
      'bearer token for mutating admin routes (env MESHGRAPH_TOKEN)',
      process.env.MESHGRAPH_TOKEN,
    )
    .option('--xds-port <port>', 'ADS gRPC port', '18000')
    .option('--xds-admin-port <port>', 'xds-server admin API port', '18001')
    .option(
      '--collector-port <port>',
      'access-log (gRPC ALS) port: the mesh config accessLog must point here',
      '18090',
    )
    .option('--collector-admin-port <port>', 'collector admin port', '18091')
    .option('--jobs-admin-port <port>', 'rollup job admin port', '18092')
    .option('--api-port <port>', 'graph API port', '18080')
    .option(
      '--run-dir <dir>',
      'data of the Kafka this command starts',
      path.join(projectRoot, '.meshgraph', 'up'),
    )
    .action(async (flags: UpFlags) => {
      const log = createLogger('up');
      const stack = new Stack();
      try {
        const { brokers, pid: kafkaPid } = await kafkaBrokers(
          flags.brokers,
          flags.runDir,
          stack,
          log.child({ component: 'kafka' }),
        );
        const collector = await startCollector({
          brokers,
          grpcAddress: `127.0.0.1:${portOption(flags.collectorPort, '--collector-port')}`,
          adminPort: portOption(flags.collectorAdminPort, '--collector-admin-port'),
          log: log.child({ component: 'collector' }),
        });
        stack.add('collector', () => collector.close());
        const rollup = await startRollup({
          brokers,
          clickhouseUrl: flags.clickhouse,
          adminPort: portOption(flags.jobsAdminPort, '--jobs-admin-port'),
          log: log.child({ component: 'rollup' }),
        });
        stack.add('rollup', () => rollup.close());
        // The same URL: an embedded engine is shared with the rollup job inside this process.
        const store = await openStore(flags.clickhouse, log);
        stack.add('clickhouse', () => store.close());
        const view = await startGraphView({ brokers, log: log.child({ component: 'graph-view' }) });
        stack.add('graph-view', () => view.close());
        const xds = await startXdsServer({
          configFile: flags.config,
          grpcAddress: `127.0.0.1:${portOption(flags.xdsPort, '--xds-port')}`,
          adminPort: portOption(flags.xdsAdminPort, '--xds-admin-port'),
          ...(flags.token && { token: flags.token }),
          log: log.child({ component: 'xds' }),
        });
        stack.add('xds', () => xds.close());
        const accessLog = xds.controlPlane.currentConfig()?.accessLog;
        if (accessLog?.port !== collector.grpcPort) {
          log.warn(
            { accessLog, collectorPort: collector.grpcPort },
            'the mesh config accessLog does not point at this collector: Envoy logs will not reach meshgraph',
          );
        }
        const api = await startApi({
          fold: view.fold,
          history: (tMs, horizon) => graphAt(store, tMs, horizon),
          log: log.child({ component: 'api' }),
          port: portOption(flags.apiPort, '--api-port'),
          token: flags.token,
          ready: () =>
            view.isReady()
              ? { ready: true }
              : { ready: false, reason: 'catching up on edge-stats.v1' },
        });
        stack.add('api', () => api.close());
        process.stdout.write(
          [
            'meshgraph is up:',
            `  xDS (ADS)        127.0.0.1:${xds.grpcPort}   admin http://127.0.0.1:${xds.adminPort}`,
            `  access logs      127.0.0.1:${collector.grpcPort}   admin http://127.0.0.1:${collector.adminPort}`,
            `  rollup job       admin http://127.0.0.1:${rollup.adminPort}`,
            `  graph API        http://127.0.0.1:${api.port}  (OpenAPI: /openapi.json)`,
            `  Kafka            ${brokers.join(',')}${kafkaPid ? ` (pid ${kafkaPid})` : ''}`,
            `  ClickHouse       ${flags.clickhouse}`,
            '',
          ].join('\n'),
        );
        log.info({ signal: await untilSignal() }, 'stopping');
      } finally {
        await stack.closeAll(log);
      }
    });
}
