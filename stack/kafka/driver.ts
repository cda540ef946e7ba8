import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { ComponentDriver, LaunchPlan } from '../component.ts';
import { freePort } from '../ports.ts';
import { lastLine } from '../prerequisites.ts';
import { installedKafka, requireJava, run } from './install.ts';

/**
 * Options for {@link kafkaDriver}.
 * - `heapMb` (number, default 512): the JVM's `-Xmx`. Small enough that several brokers (parallel
 *   test files) fit on a 24 GB machine: an idle node keeps well under 100 MB of heap live and
 *   about 320 MB resident in all.
 * - `partitions` (number, default 3): `num.partitions`, for topics created on first use; more
 *   than one so consumer groups split work locally just as they do in production.
 */
export interface KafkaDriverOptions {
  heapMb?: number;
  partitions?: number;
}

/**
 * Apache Kafka 4 as one KRaft node (broker and controller in a single JVM), started from the jars
 * that `installKafka` resolved. All state lives in the folder handed to `prepare`, so a second
 * `prepare` on the same folder brings back the same cluster, topics and offsets on fresh ports.
 */
export function kafkaDriver(options: KafkaDriverOptions = {}): ComponentDriver {
  const { heapMb = 512, partitions = 3 } = options;
  return {
    name: 'kafka',

    async checkInstalled() {
      await requireJava();
      installedKafka();
    },

    async prepare(dir) {
      const java = await requireJava();
      const { classpath } = installedKafka();
      const broker = await freePort();
      const controller = await freePort();
      const dataDir = path.join(dir, 'data');
      const config = path.join(dir, 'server.properties');
      const log4j = path.join(dir, 'log4j2.properties');
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(config, serverProperties({ broker, controller, dataDir, partitions }));
      writeFileSync(log4j, log4jProperties);
      const jvm = [`-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath];
      await formatOnce(java, jvm, config, dataDir);
      return {
        command: java, // not a shell: the child pid is the JVM, so pdeathsig and stop() reach it
        args: [...jvmFlags(heapMb), ...jvm, 'kafka.Kafka', config],
        cwd: dir,
        port: broker,
        endpoints: { broker, controller },
      };
    },

    isReady,
  };
}

export interface ServerPorts {
  broker: number;
  controller: number;
  dataDir: string;
  partitions: number;
}

export function serverProperties({ broker, controller, dataDir, partitions }: ServerPorts): string {
  return `# Written by meshgraph (stack/kafka/driver.ts) on every start: ports change each time.
process.roles=broker,controller
node.id=1
# A static voter set (kraft.version 0) lives only in this file, not in the metadata log, so the
# node comes back on new ports; a dynamic quorum would remember the old controller address.
controller.quorum.voters=1@127.0.0.1:${controller}
listeners=PLAINTEXT://127.0.0.1:${broker},CONTROLLER://127.0.0.1:${controller}
advertised.listeners=PLAINTEXT://127.0.0.1:${broker}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${dataDir}
num.partitions=${partitions}
auto.create.topics.enable=true
# One node: internal topics default to 3 replicas and would never be created (kafkajs then
# reports "group coordinator not available").
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# One partition each instead of 50: the first group join creates the topic, and 50 partitions
# cost seconds and hundreds of index files per broker in parallel tests.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.num.partitions=1
# Consumers join at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
`;
}

/** Broker logs to stdout, which the launcher sends to `<dir>/kafka.log`. */
const log4jProperties = `# Written by meshgraph (stack/kafka/driver.ts).
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
# -Dmeshgraph.kafka.log.level lets the storage tool run quietly with the same file.
rootLogger.level = \${sys:meshgraph.kafka.log.level:-info}
rootLogger.appenderRef.stdout.ref = STDOUT
# Per-request lines and partition state changes drown everything else.
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.stateChange.name = state.change.logger
logger.stateChange.level = warn
`;

function jvmFlags(heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms64m',
    // A small heap needs no concurrent collector, and serial GC adds no threads competing for
    // 2 cores with other brokers; it also starts faster than G1.
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    // No hsperfdata file in /tmp per JVM.
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    // log4j's own shutdown hook races Kafka's and cuts the log mid-shutdown; console output needs
    // no flushing, so let logging live until the JVM ends.
    '-Dlog4j2.shutdownHookEnabled=false',
  ];
}

/**
 * Formats the KRaft storage unless it already is: a formatted folder keeps its cluster id, so
 * topics and offsets survive restarts. The id is Kafka's Uuid text form (16 random bytes,
 * base64url), which saves a JVM start for `StorageTool random-uuid`.
 */
async function formatOnce(
  java: string,
  jvm: string[],
  config: string,
  dataDir: string,
): Promise<string> {
  const existing = clusterIdOf(dataDir);
  if (existing) return existing;
  const clusterId = newClusterId();
  const args = ['-Dmeshgraph.kafka.log.level=warn', ...jvm];
  const result = await run(java, [
    ...args,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    config,
  ]);
  if (result.code !== 0) {
    throw new Error(
      `kafka: formatting ${dataDir} failed (exit ${result.code}): ${lastLine(result.stderr + result.stdout)}`,
    );
  }
  return clusterId;
}

/** Reads the cluster id a formatted data folder belongs to (undefined when unformatted). */
export function clusterIdOf(dataDir: string): string | undefined {
  try {
    const meta = readFileSync(path.join(dataDir, 'meta.properties'), 'utf8');
    return /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function newClusterId(): string {
  // Kafka's own generator re-draws ids starting with '-' (they read as a command-line flag).
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A group nobody joins: asking about it makes the broker create and load `__consumer_offsets`. */
const probeGroup = 'meshgraph-readiness-probe';

/**
 * Ready = the broker answers a Metadata request listing itself (a fenced, still starting broker
 * is left out) and its group coordinator answers for a group. The second half matters: right
 * after start the offsets topic does not exist yet, and a consumer's first JoinGroup fails with
 * "coordinator not available" or "coordinator is loading" and kafkajs crashes and restarts it.
 * Waiting here makes consumer groups usable the moment `launch` returns.
 */
async function isReady(plan: LaunchPlan): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'meshgraph-probe',
    brokers: [`127.0.0.1:${plan.port}`],
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    // Refused connections and coordinator errors are the expected answers while it starts.
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return false;
    await admin.describeGroups([probeGroup]); // throws while the coordinator is not ready
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
