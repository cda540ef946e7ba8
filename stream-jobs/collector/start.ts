/**
 * The collector component: Envoy's access logs in over gRPC (ALS), records out to Kafka
 * (access-logs.v2, key = edge; malformed entries to access-logs.dlq.v1), through one bounded
 * batcher. Admin HTTP: /healthz, /readyz, /metrics.
 */

import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { registerErrorHandling } from '../../lib/http/errors.ts';
import { registerHealth } from '../../lib/http/health.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import { accessLogsDeadLetterTopic, accessLogsTopic, ensureTopics } from '../topics.ts';
import { Batcher, type BatcherOptions } from './batcher.ts';
import { CollectorMetrics } from './metrics.ts';
import {
  cachingDefaultPartitioner,
  divertToDeadLetters,
  isRetriable,
  kafkaSender,
  type OutMessage,
  sizeOf,
} from './producer.ts';
import { type AlsServer, startAlsServer } from './server.ts';

/** The batcher bounds a deployment may tune (see BatcherOptions for each one's default). */
export type CollectorBounds = Pick<
  BatcherOptions<OutMessage>,
  'maxBufferedRecords' | 'maxBufferedBytes' | 'maxBatchRecords' | 'maxBatchBytes' | 'lingerMs'
>;

/**
 * Options for {@link startCollector}.
 * - `brokers` (string[], required): Kafka bootstrap addresses, `host:port`.
 * - `grpcAddress` (string, default `127.0.0.1:18090`): where Envoy's ALS cluster points; port 0
 *   picks one.
 * - `adminHost` (string, default `127.0.0.1`), `adminPort` (number, default 18091; 0 = any).
 * - `log` (Logger, required).
 * - `sourceHeader` (string, default `x-meshgraph-source`): request header naming the caller when
 *   the Envoy node's metadata has no `service`.
 * - `sourceInstanceHeader` (string, default `x-meshgraph-source-instance`): request header naming
 *   the calling instance when the Envoy node's metadata has no `instance`.
 * - `clientId` (string, default `meshgraph-collector`): the Kafka client id.
 * - `replicationFactor` (number, default 1): for the topics this creates when missing.
 * - `bounds` (CollectorBounds, default the batcher's: 50,000 messages / 32 MiB buffered, batches
 *   of 1,000 messages / 1 MiB, 50 ms linger).
 * - `stallMs` (number, default 5,000): a batch unsent for this long (kafkajs still retrying
 *   inside one send) makes `/readyz` answer 503, before any retry surfaces.
 * - `shutdownTimeoutMs` (number, default 10,000): how long `close()` may flush before giving up
 *   what is left (counted in `meshgraph_collector_dropped_total{reason="shutdown"}`).
 */
export interface CollectorOptions {
  brokers: string[];
  grpcAddress?: string;
  adminHost?: string;
  adminPort?: number;
  log: Logger;
  sourceHeader?: string;
  sourceInstanceHeader?: string;
  clientId?: string;
  replicationFactor?: number;
  bounds?: CollectorBounds;
  stallMs?: number;
  shutdownTimeoutMs?: number;
}

export interface RunningCollector {
  readonly grpcPort: number;
  readonly adminPort: number;
  readonly registry: Registry;
  /** Stops accepting logs, flushes what is buffered to Kafka, disconnects. Safe to call twice. */
  close(): Promise<void>;
}

const kafkaRetry = { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 };

export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const { log } = options;
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: options.clientId ?? 'meshgraph-collector',
    log,
    // Connection retries (≈3 s in all), so an unreachable broker surfaces in seconds, not minutes.
    config: { retry: kafkaRetry },
  });
  const producer: Producer = kafka.producer({
    // The Java client's murmur2 partitioner: an edge lands in the same partition whichever
    // client (or language) produced it.
    // (cachingDefaultPartitioner: the same answers, each key hashed once.)
    createPartitioner: cachingDefaultPartitioner,
    // Retries inside one send are deduplicated by the broker (producer id + sequence numbers).
    // kafkajs warns once that bounded retries "may invalidate EoS guarantees": true only of
    // the batcher's re-sends after kafkajs gave up (at-least-once), which is the trade we make.
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // kafkajs's own retries for one send (bounded, so a long outage surfaces to the batcher,
    // which keeps retrying the held batch and keeps backpressure on).
    retry: kafkaRetry,
  });
  try {
    await ensureTopics(kafka, [accessLogsTopic, accessLogsDeadLetterTopic], {
      replicationFactor: options.replicationFactor ?? 1,
      log,
    });
    await producer.connect();
  } catch (error) {
    await producer.disconnect().catch(() => {});
    throw new Error(
      `collector: cannot reach Kafka at ${options.brokers.join(',')}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  const registry = new Registry();
  // Read at scrape time only, by then `batcher` exists.
  const metrics = new CollectorMetrics(registry, () => batcher.buffered);
  let kafkaProblem: string | undefined;
  const batcher = new Batcher<OutMessage>({
    ...options.bounds,
    send: kafkaSender(producer),
    sizeOf,
    isRetriable,
    onFailure: divertToDeadLetters,
    observer: metrics.observer(log, (problem) => {
      kafkaProblem = problem;
    }),
  });

  let als: AlsServer | undefined;
  const admin = Fastify({
    loggerInstance: log.child({ part: 'admin' }) as FastifyBaseLogger,
    // Scrapes and probes every few seconds would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await als?.close();
      const { unsent } = await batcher.close(options.shutdownTimeoutMs);
      if (unsent > 0) log.error({ unsent }, 'collector stopped with messages not sent to Kafka');
      await Promise.allSettled([producer.disconnect(), admin.close()]);
    })();
    return closing;
  };
  try {
    als = await startAlsServer({
      address: options.grpcAddress ?? '127.0.0.1:18090',
      sink: batcher,
      metrics,
      log: log.child({ part: 'als' }),
      record: {
        ...(options.sourceHeader && { sourceHeader: options.sourceHeader }),
        ...(options.sourceInstanceHeader && {
          sourceInstanceHeader: options.sourceInstanceHeader,
        }),
      },
    });
    registerErrorHandling(admin);
    registerHealth(admin, {
      metrics: registry,
      ready: () => {
        if (closing) return { ready: false, reason: 'shutting down' };
        if (kafkaProblem) return { ready: false, reason: kafkaProblem };
        const stalled = batcher.sendingForMs;
        if (stalled > (options.stallMs ?? 5_000))
          return { ready: false, reason: `Kafka send pending for ${Math.round(stalled / 1000)} s` };
        return { ready: true };
      },
    });
    await admin.listen({
      host: options.adminHost ?? '127.0.0.1',
      port: options.adminPort ?? 18091,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const address = admin.server.address();
  const adminPort = typeof address === 'object' && address ? address.port : 0;
  log.info({ grpcPort: als.port, adminPort, brokers: options.brokers }, 'collector listening');
  return { grpcPort: als.port, adminPort, registry, close };
}
