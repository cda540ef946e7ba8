import { Command } from 'commander';
import { createLogger } from '../lib/log.ts';
import { startCollector } from '../stream-jobs/collector/start.ts';
import { UsageError } from './errors.ts';
import { integerOption, portOption, untilSignal } from './options.ts';

/** `host:port[,host:port…]` → the list, each checked, so a typo fails here and not in kafkajs. */
export function parseBrokers(value: string | undefined): string[] {
  if (!value)
    throw new UsageError(
      '--brokers is required (or set MESHGRAPH_KAFKA_BROKERS), e.g. 127.0.0.1:9092',
    );
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    const match = /^(.+):(\d+)$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535)
      throw new UsageError(`--brokers: '${broker}' is not host:port`);
  }
  if (brokers.length === 0) throw new UsageError(`--brokers: no broker in '${value}'`);
  return brokers;
}

export function collectorCommand(): Command {
  return new Command('collector')
    .description(
      "run the collector: receive Envoy's access logs (gRPC ALS) and produce them to Kafka access-logs.v2 (key = edge), malformed entries to access-logs.dlq.v1",
    )
    .option(
      '--brokers <host:port,...>',
      'Kafka bootstrap brokers (env MESHGRAPH_KAFKA_BROKERS)',
      process.env.MESHGRAPH_KAFKA_BROKERS,
    )
    .option('--grpc <host:port>', 'ALS listen address; port 0 picks one', '127.0.0.1:18090')
    .option(
      '--admin-port <port>',
      'admin HTTP port (/healthz, /readyz, /metrics); 0 picks one',
      '18091',
    )
    .option(
      '--source-header <name>',
      "request header naming the caller when the Envoy node's metadata has no 'service'",
      'x-meshgraph-source',
    )
    .option(
      '--source-instance-header <name>',
      "request header naming the calling instance (host:port) when the Envoy node's metadata has no 'instance'",
      'x-meshgraph-source-instance',
    )
    .option(
      '--replication-factor <n>',
      'replication factor for the topics created when missing (3 on a production cluster)',
      '1',
    )
    .action(
      async (options: {
        brokers?: string;
        grpc: string;
        adminPort: string;
        sourceHeader: string;
        sourceInstanceHeader: string;
        replicationFactor: string;
      }) => {
        const brokers = parseBrokers(options.brokers);
        const adminPort = portOption(options.adminPort, '--admin-port');
        const replicationFactor = integerOption(
          options.replicationFactor,
          '--replication-factor',
          1,
        );
        const log = createLogger('collector');
        const collector = await startCollector({
          brokers,
          grpcAddress: options.grpc,
          adminPort,
          sourceHeader: options.sourceHeader,
          sourceInstanceHeader: options.sourceInstanceHeader,
          replicationFactor,
          log,
        });
        process.stdout.write(
          `collector: ALS on ${options.grpc.replace(/:\d+$/, `:${collector.grpcPort}`)}, admin on http://127.0.0.1:${collector.adminPort}\n`,
        );
        const signal = await untilSignal();
        log.info({ signal }, 'stopping');
        await collector.close();
      },
    );
}
