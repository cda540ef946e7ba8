/**
 * The rollup component: access-logs.v2 → ClickHouse access_log (and, through its materialized
 * views, edge_stats and endpoint_stats) + edge-stats.v1 windows, malformed records to
 * access-logs.dlq.v1. Migrates ClickHouse first. Admin HTTP: /healthz, /readyz, /metrics.
 */

import { Partitioners } from 'kafkajs';
import { Registry } from 'prom-client';
import { migrate } from '../../lib/clickhouse/migrate.ts';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createHttpApp } from '../../lib/http/app.ts';
import { registerHealth } from '../../lib/http/health.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import {
  accessLogsDeadLetterTopic,
  accessLogsTopic,
  edgeStatsTopic,
  ensureTopics,
} from '../topics.ts';
import type { DecodeOptions } from './decode.ts';
import { RollupJob, type RollupJobOptions } from './job.ts';
import { RollupMetrics } from './metrics.ts';
import { AccessLogSink, type SinkOptions } from './sink.ts';

/**
 * Options for {@link startRollup}.
 * - `brokers` (string[], required): Kafka bootstrap addresses, `host:port`.
 * - `clickhouseUrl` (string, required): `chdb:///folder` (the embedded engine, inside this
 *   process) or `http(s)://host:port` (see lib/clickhouse/store.ts).
 * - `adminHost` (string, default `127.0.0.1`), `adminPort` (number, default 18092; 0 = any).
 * - `log` (Logger, required).
 * - `clientId` (string, default `meshgraph-rollup`): the Kafka client id.
 * - `replicationFactor` (number, default 1): for the topics this creates when missing.
 * - `options` (RollupJobOptions & { sink, decode }, default {}): consumer group, windows and
 *   timeouts (job.ts), insert retries (sink.ts), record checks (decode.ts).
 */
export interface RollupOptions {
  brokers: string[];
  clickhouseUrl: string;
  adminHost?: string;
  adminPort?: number;
  log: Logger;
  clientId?: string;
  replicationFactor?: number;
  options?: RollupJobOptions & { sink?: Omit<SinkOptions, 'topic'>; decode?: DecodeOptions };
}

export interface RunningRollup {
  readonly adminPort: number;
  readonly registry: Registry;
  /** Finishes the batch in hand, commits, leaves the group, closes ClickHouse. Idempotent. */
  close(): Promise<void>;
}

export async function startRollup(options: RollupOptions): Promise<RunningRollup> {
  const { log } = options;
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: options.clientId ?? 'meshgraph-rollup',
    log,
  });
  // Retries inside one send are deduplicated by the broker (producer id + sequence numbers).
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const registry = new Registry();
  let job: RollupJob | undefined;
  let store: ClickHouseStore | undefined;
  let closing: Promise<void> | undefined;
  const app = createHttpApp(log.child({ part: 'admin' }));
  const close = () => {
    closing ??= (async () => {
      await job?.close().catch((err) => log.error({ err }, 'rollup: consumer close failed'));
      await Promise.allSettled([producer.disconnect(), app.close()]);
      await store?.close();
    })();
    return closing;
  };
  try {
    store = await openStore(options.clickhouseUrl, log);
    const applied = await migrate(store, log);
    if (applied.length > 0) log.info({ applied }, 'ClickHouse migrated');
    await ensureTopics(kafka, [accessLogsTopic, accessLogsDeadLetterTopic, edgeStatsTopic], {
      replicationFactor: options.replicationFactor ?? 1,
      log,
    });
    await producer.connect();
    const { sink: sinkOptions, decode, ...jobOptions } = options.options ?? {};
    const sink = new AccessLogSink(store, log, { ...sinkOptions, topic: accessLogsTopic.name });
    const metrics = new RollupMetrics(registry, () => job?.openWindows ?? 0);
    const ctx = { producer, sink, metrics, log, ...(decode && { decode }) };
    job = new RollupJob(kafka, ctx, jobOptions);
    const running = job;
    registerHealth(app, {
      metrics: registry,
      ready: () => {
        if (closing) return { ready: false, reason: 'shutting down' };
        if (!running.joined) return { ready: false, reason: 'joining the consumer group' };
        if (running.problem) return { ready: false, reason: running.problem };
        return { ready: true };
      },
    });
    await app.listen({ host: options.adminHost ?? '127.0.0.1', port: options.adminPort ?? 18092 });
    await job.start();
  } catch (error) {
    await close();
    throw new Error(`rollup: cannot start: ${(error as Error).message}`, { cause: error });
  }
  const address = app.server.address();
  const adminPort = typeof address === 'object' && address ? address.port : 0;
  log.info({ adminPort, brokers: options.brokers, group: job.groupId }, 'rollup job running');
  return { adminPort, registry, close };
}
