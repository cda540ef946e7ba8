import { Command } from 'commander';
import { createLogger } from '../lib/log.ts';
import { startXdsServer } from '../xds-server/start.ts';
import { parseBrokers } from './collector.ts';
import { portOption, untilSignal } from './options.ts';

export function xdsCommand(): Command {
  return new Command('xds')
    .description(
      'run the xDS control plane: serve the mesh config (hot-reloaded) to Envoy and gRPC clients over ADS',
    )
    .requiredOption(
      '--config <file>',
      'the mesh config YAML (env MESHGRAPH_MESH_CONFIG)',
      process.env.MESHGRAPH_MESH_CONFIG,
    )
    .option('--grpc <host:port>', 'ADS listen address; port 0 picks one', '127.0.0.1:18000')
    .option(
      '--admin-port <port>',
      'admin API port (health, readiness, metrics, sync status, weights); 0 picks one',
      '18001',
    )
    .option(
      '--token <token>',
      'bearer token for mutating admin routes (env MESHGRAPH_TOKEN)',
      process.env.MESHGRAPH_TOKEN,
    )
    .option(
      '--brokers <host:port,...>',
      'Kafka, to apply the policy job’s decisions from routing.v1 (env MESHGRAPH_KAFKA_BROKERS); without it only the mesh config and the admin API set weights',
      process.env.MESHGRAPH_KAFKA_BROKERS,
    )
    .action(
      async (options: {
        config: string;
        grpc: string;
        adminPort: string;
        token?: string;
        brokers?: string;
      }) => {
        const log = createLogger('xds');
        const server = await startXdsServer({
          configFile: options.config,
          grpcAddress: options.grpc,
          adminPort: portOption(options.adminPort, '--admin-port'),
          ...(options.token && { token: options.token }),
          ...(options.brokers && { brokers: parseBrokers(options.brokers) }),
          log,
        });
        process.stdout.write(
          `xds-server: ADS on 127.0.0.1:${server.grpcPort}, admin on http://127.0.0.1:${server.adminPort}\n`,
        );
        const signal = await untilSignal();
        log.info({ signal }, 'stopping');
        await server.close();
      },
    );
}
