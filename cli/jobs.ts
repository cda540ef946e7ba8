import { Command } from 'commander';
import { openStore, parseStoreUrl } from '../lib/clickhouse/store.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { defaultClickHouseUrl } from '../stack/paths.ts';
import { defaultPolicyOptions } from '../stream-jobs/policy/options.ts';
import { startPolicyJob } from '../stream-jobs/policy/start.ts';
import { startRollup } from '../stream-jobs/rollup/start.ts';
import { watchMeshConfig } from '../xds-server/mesh-config/load.ts';
import { formatIssue } from '../xds-server/mesh-config/parse.ts';
import { parseBrokers } from './collector.ts';
import { UsageError } from './errors.ts';
import { integerOption, portOption, untilSignal } from './options.ts';

interface JobsFlags {
  brokers?: string;
  clickhouse: string;
  adminPort: string;
  group: string;
  allowedLateness: string;
  idle: string;
  sessionTimeout: string;
  replicationFactor: string;
  config?: string;
  policyAdminPort: string;
}

/**
 * `meshgraph jobs`: the stream jobs of one replica: the rollup job, and with `--config` the
 * routing policy (one per mesh: run it in one replica only).
 */
export function jobsCommand(): Command {
  return new Command('jobs')
    .description(
      'run the rollup job: access-logs.v2 → ClickHouse access_log (+ edge_stats, endpoint_stats) and 1 s / 10 s windows to edge-stats.v1, exactly once; malformed records to access-logs.dlq.v1. Replicas sharing --group share the partitions.',
    )
    .option(
      '--brokers <host:port,...>',
      'Kafka bootstrap brokers (env MESHGRAPH_KAFKA_BROKERS)',
      process.env.MESHGRAPH_KAFKA_BROKERS,
    )
    .option(
      '--clickhouse <url>',
      'chdb:///data/folder (embedded, in this process) or http://host:port (env MESHGRAPH_CLICKHOUSE_URL)',
      defaultClickHouseUrl(),
    )
    .option(
      '--admin-port <port>',
      'admin HTTP port (/healthz, /readyz, /metrics); 0 picks one',
      '18092',
    )
    .option('--group <id>', 'Kafka consumer group shared by the replicas', 'meshgraph-rollup')
    .option(
      '--allowed-lateness <ms>',
      'how far behind the newest start time a record may be and still count in its window',
      '2000',
    )
    .option(
      '--idle <ms>',
      'wall time without records after which a partition’s windows close by the clock',
      '1000',
    )
    .option(
      '--session-timeout <ms>',
      'how soon the consumer group hands a dead replica’s partitions on (the broker’s minimum is 6000 by default)',
      '10000',
    )
    .option(
      '--replication-factor <n>',
      'replication factor for the topics created when missing (3 on a production cluster)',
      '1',
    )
    .option(
      '--config <file>',
      'the mesh config YAML: also run the routing policy for its `policy: adaptive` clusters (one policy job per mesh; env MESHGRAPH_MESH_CONFIG)',
      process.env.MESHGRAPH_MESH_CONFIG,
    )
    .option('--policy-admin-port <port>', 'policy admin HTTP port; 0 picks one', '18093')
    .action(async (flags: JobsFlags) => {
      const brokers = parseBrokers(flags.brokers);
      try {
        parseStoreUrl(flags.clickhouse);
      } catch (error) {
        throw new UsageError(`--clickhouse: ${(error as Error).message}`);
      }
      const log = createLogger('jobs');
      const rollup = await startRollup({
        brokers,
        clickhouseUrl: flags.clickhouse,
        adminPort: portOption(flags.adminPort, '--admin-port'),
        replicationFactor: integerOption(flags.replicationFactor, '--replication-factor', 1),
        log,
        options: {
          groupId: flags.group,
          sessionTimeoutMs: integerOption(flags.sessionTimeout, '--session-timeout', 1),
          windows: {
            allowedLatenessMs: integerOption(flags.allowedLateness, '--allowed-lateness', 0),
            idleMs: integerOption(flags.idle, '--idle', 1),
          },
        },
      });
      process.stdout.write(`jobs: rollup running, admin on http://127.0.0.1:${rollup.adminPort}\n`);
      const policy = flags.config
        ? await startPolicyFromFile(flags.config, {
            brokers,
            clickhouseUrl: flags.clickhouse,
            adminPort: portOption(flags.policyAdminPort, '--policy-admin-port'),
            replicationFactor: integerOption(flags.replicationFactor, '--replication-factor', 1),
            log: log.child({ component: 'policy' }),
          }).catch(async (error) => {
            await rollup.close();
            throw error;
          })
        : undefined;
      if (policy) {
        process.stdout.write(
          `jobs: policy running, admin on http://127.0.0.1:${policy.adminPort}\n`,
        );
      }
      const signal = await untilSignal();
      log.info({ signal }, 'stopping: finishing the batch in hand, committing, leaving the group');
      await policy?.close();
      await rollup.close();
    });
}

/** The policy job following a mesh config file (hot-reloaded, last good kept). */
async function startPolicyFromFile(
  file: string,
  options: {
    brokers: string[];
    clickhouseUrl: string;
    adminPort: number;
    replicationFactor: number;
    log: Logger;
  },
) {
  const { log } = options;
  const watcher = watchMeshConfig(file, {
    log,
    onConfig: () => {},
    onRejected: (issues) =>
      log.error(
        { issues: issues.map(formatIssue) },
        'invalid mesh config; the last good one stays',
      ),
  });
  if (!watcher.current()) {
    watcher.close();
    throw new UsageError(`--config: ${file} is not a valid mesh config (see the log above)`);
  }
  const store = await openStore(options.clickhouseUrl, log);
  try {
    const policy = await startPolicyJob({
      brokers: options.brokers,
      store,
      meshConfig: () => watcher.current(),
      policy: defaultPolicyOptions,
      adminPort: options.adminPort,
      replicationFactor: options.replicationFactor,
      log,
    });
    return {
      adminPort: policy.adminPort,
      async close() {
        watcher.close();
        await policy.close();
        await store.close();
      },
    };
  } catch (error) {
    watcher.close();
    await store.close();
    throw error;
  }
}
