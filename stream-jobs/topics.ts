/**
 * meshgraph's Kafka topics in one place: names (versioned, `*.v1`), partition counts and the
 * settings each needs. Every component that creates, produces or consumes a topic takes it from
 * here, so a rename or a partition change is one edit.
 */

import type { Kafka } from 'kafkajs';
import type { Logger } from '../lib/log.ts';

/**
 * One topic as meshgraph creates it.
 * - `name` (string): the topic name.
 * - `partitions` (number): partition count at creation; keys hash over them, so one key (edge,
 *   cluster) stays ordered in one partition. Growing it later remaps keys: choose with headroom.
 * - `config` (Record<string, string>, default none): topic-level settings such as
 *   `cleanup.policy`.
 */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * Access-log records packed per edge (meshgraph.v1.AccessLogBatch), key = `<source>→<destination>`.
 * v1 held one AccessLogRecord per message; v2 packs them (see access-log-batch.ts).
 */
export const accessLogsTopic: TopicSpec = { name: 'access-logs.v2', partitions: 6 };

/**
 * Access-log entries the collector could not turn into records: value = the entry's original
 * bytes, headers say why. Low volume and read by people, so one partition keeps it in order.
 */
export const accessLogsDeadLetterTopic: TopicSpec = { name: 'access-logs.dlq.v1', partitions: 1 };

/**
 * Headers every dead-letter message carries (all DLQ topics): `reason`, a stable code such as
 * `missing_start_time`; `message`, what exactly was wrong; `value-type`, the protobuf message
 * the value holds, so a replay tool knows how to decode it; `node`, the Envoy node that sent it.
 */
export const deadLetterHeaders = {
  reason: 'meshgraph-reason',
  message: 'meshgraph-message',
  valueType: 'meshgraph-value-type',
  node: 'meshgraph-node',
} as const;

/** Windowed, mergeable per-edge statistics from the rollup job, key = the edge. */
export const edgeStatsTopic: TopicSpec = { name: 'edge-stats.v1', partitions: 6 };

/**
 * Routing decisions, key = cluster. Compacted: the latest decision per cluster is the state an
 * xds-server replica rebuilds by reading the topic from the beginning.
 */
export const routingTopic: TopicSpec = {
  name: 'routing.v1',
  partitions: 3,
  config: { 'cleanup.policy': 'compact' },
};

export const allTopics: readonly TopicSpec[] = [
  accessLogsTopic,
  accessLogsDeadLetterTopic,
  edgeStatsTopic,
  routingTopic,
];

/**
 * Options for {@link ensureTopics}.
 * - `replicationFactor` (number, default 1): replicas per partition for topics created now; 1
 *   suits one broker, production clusters want 3. kafkajs speaks CreateTopics v3, which cannot
 *   ask for the broker's default (-1), hence an explicit number.
 * - `log` (Logger, default none): one line per topic created.
 */
export interface EnsureTopicsOptions {
  replicationFactor?: number;
  log?: Logger;
}

/**
 * Creates the topics that do not exist yet and leaves existing ones as they are (their partition
 * count and settings are not compared or changed). Safe when several replicas start at once: the
 * broker's "already exists" answer counts as success. Returns the names it created.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    const created = missing.map((spec) => spec.name);
    options.log?.info({ topics: created }, 'created Kafka topics');
    return created;
  } finally {
    await admin.disconnect();
  }
}
