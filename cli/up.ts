import path from 'node:path';
import { Command } from 'commander';
import { createLogger } from '../lib/log.ts';
import { defaultClickHouseUrl, projectRoot } from '../stack/paths.ts';
import { parseBrokers } from './collector.ts';
import { startMeshgraph } from './components.ts';
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
  policyAdminPort: string;
  apiPort: string;
  runDir: string;
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
    .option('--policy-admin-port <port>', 'routing policy admin port', '18093')
    .option('--api-port <port>', 'graph API port', '18080')
    .option(
      '--run-dir <dir>',
      'data of the Kafka this command starts',
      path.join(projectRoot, '.meshgraph', 'up'),
    )
    .action(async (flags: UpFlags) => {
      const log = createLogger('up');
      const running = await startMeshgraph({
        configFile: flags.config,
        brokers: flags.brokers ? parseBrokers(flags.brokers) : undefined,
        clickhouseUrl: flags.clickhouse,
        token: flags.token,
        ports: {
          xds: portOption(flags.xdsPort, '--xds-port'),
          xdsAdmin: portOption(flags.xdsAdminPort, '--xds-admin-port'),
          collector: portOption(flags.collectorPort, '--collector-port'),
          collectorAdmin: portOption(flags.collectorAdminPort, '--collector-admin-port'),
          jobsAdmin: portOption(flags.jobsAdminPort, '--jobs-admin-port'),
          policyAdmin: portOption(flags.policyAdminPort, '--policy-admin-port'),
          api: portOption(flags.apiPort, '--api-port'),
        },
        runDir: flags.runDir,
        log,
      });
      try {
        const { ports, brokers, kafkaPid } = running;
        process.stdout.write(
          [
            'meshgraph is up:',
            `  xDS (ADS)        127.0.0.1:${ports.xds}   admin http://127.0.0.1:${ports.xdsAdmin}`,
            `  access logs      127.0.0.1:${ports.collector}   admin http://127.0.0.1:${ports.collectorAdmin}`,
            `  rollup job       admin http://127.0.0.1:${ports.jobsAdmin}`,
            `  routing policy   admin http://127.0.0.1:${ports.policyAdmin}   decisions http://127.0.0.1:${ports.api}/v1/decisions`,
            `  graph API        http://127.0.0.1:${ports.api}  (OpenAPI: /openapi.json)`,
            `  Kafka            ${brokers.join(',')}${kafkaPid ? ` (pid ${kafkaPid})` : ''}`,
            `  ClickHouse       ${flags.clickhouse}`,
            '',
          ].join('\n'),
        );
        log.info({ signal: await untilSignal() }, 'stopping');
      } finally {
        await running.close();
      }
    });
}
