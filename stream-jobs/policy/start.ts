/**
 * The policy component: edge-stats.v1 → {@link PolicyJob} every interval → routing.v1 (decisions
 * keyed by cluster, tombstones to hand a cluster back to its configured weights) and ClickHouse
 * `routing_decisions`. Reads every partition (a topic reader of its own, starting a few seconds
 * back so a restart has data at once). Admin HTTP: /healthz, /readyz, /metrics.
 *
 * One policy job per mesh: two would publish competing decisions for the same clusters.
 */

import { Partitioners } from 'kafkajs';
import { Gauge, Histogram, Registry } from 'prom-client';
import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import { createHttpApp } from '../../lib/http/app.ts';
import { registerHealth } from '../../lib/http/health.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';
import { startTopicReader } from '../topic-reader.ts';
import { edgeStatsTopic, ensureTopics, routingTopic } from '../topics.ts';
import type { PolicyControl } from './control.ts';
import { DecisionLog } from './decision-log.ts';
import { PolicyJob } from './job.ts';
import { type PolicyOptions, parsePolicyOptions } from './options.ts';
import { RoutingPublisher } from './publisher.ts';

/**
 * Options for {@link startPolicyJob}.
 * - `brokers` (string[], required): Kafka bootstrap addresses.
 * - `store` (ClickHouseStore, required): where decisions are recorded (migrated by the caller or
 *   the rollup job: `routing_decisions` is migration 0005).
 * - `meshConfig` (() => MeshConfig | undefined, required): the current mesh config, read every
 *   interval (the xds-server's in `meshgraph up`, a file watcher's in `meshgraph jobs`).
 * - `policy` (PolicyOptions, required): the math's options; `intervalMs` paces the ticks.
 * - `refreshMs` (number, default 10,000): see PolicyJobOptions.
 * - `adminPort` (number, default none: no admin HTTP), `adminHost` (string, default 127.0.0.1).
 * - `lookbackMs` (number, default 10,000): how far back edge-stats.v1 is read at start.
 * - `replicationFactor` (number, default 1): for topics this creates.
 * - `log` (Logger, required).
 */
export interface PolicyStartOptions {
  brokers: string[];
  store: ClickHouseStore;
  meshConfig: () => MeshConfig | undefined;
  policy: PolicyOptions;
  refreshMs?: number;
  adminPort?: number;
  adminHost?: string;
  lookbackMs?: number;
  replicationFactor?: number;
  log: Logger;
}

export interface RunningPolicy {
  readonly control: PolicyControl;
  readonly registry: Registry;
  /** 0 when no admin HTTP was asked for. */
  readonly adminPort: number;
  close(): Promise<void>;
}

export async function startPolicyJob(options: PolicyStartOptions): Promise<RunningPolicy> {
  const { log } = options;
  const kafka = createKafka({ brokers: options.brokers, clientId: 'meshgraph-policy', log });
  await ensureTopics(kafka, [edgeStatsTopic, routingTopic], {
    replicationFactor: options.replicationFactor ?? 1,
    log,
  });
  const registry = new Registry();
  const policy = parsePolicyOptions(options.policy);
  const job = new PolicyJob({
    policy,
    ...(options.refreshMs !== undefined && { refreshMs: options.refreshMs }),
  });
  const audit = new DecisionLog({ store: options.store, log, registry });
  const metrics = policyMetrics(registry);
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const publisher = new RoutingPublisher(producer, log);
  // Managed clusters first: windows read during catch-up are kept only for managed clusters.
  let config = options.meshConfig();
  if (config) job.setConfig(config);
  const reader = await startTopicReader({
    kafka,
    topic: edgeStatsTopic.name,
    log: log.child({ part: 'edge-stats' }),
    groupPrefix: 'meshgraph-policy',
    start: { atMs: Date.now() - (options.lookbackMs ?? 10_000) },
    onMessage: (message) => job.observe(EdgeStats.decode(message.value ?? Buffer.alloc(0))),
  }).catch(async (error) => {
    await producer.disconnect();
    throw error;
  });

  const tick = () => {
    try {
      step();
    } catch (error) {
      // A bug in one interval must not take the process down; the next interval tries again.
      log.error({ err: error }, 'policy interval failed');
    }
  };
  const step = () => {
    // Before catching up, decisions would rest on part of the data; the windows wait in the job.
    if (!reader.isReady()) return;
    const started = performance.now();
    const latest = options.meshConfig();
    if (latest && latest !== config) {
      config = latest;
      job.setConfig(latest);
    }
    const result = job.tick(Date.now());
    audit.record(result.record);
    for (const d of result.record) {
      for (const e of d.endpoints)
        metrics.weight.set(
          { cluster: d.cluster, endpoint: e.endpoint, dry_run: String(d.dryRun) },
          e.weight,
        );
    }
    publisher.publish(result.clear, result.publish);
    metrics.tick.observe((performance.now() - started) / 1000);
  };
  const timer = setInterval(tick, policy.intervalMs);

  const app = createHttpApp(log.child({ part: 'admin' }));
  registerHealth(app, {
    metrics: registry,
    ready: () =>
      !reader.isReady()
        ? { ready: false, reason: 'catching up on edge-stats.v1' }
        : publisher.problem
          ? { ready: false, reason: publisher.problem }
          : { ready: true },
  });
  let adminPort = 0;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(timer);
      await reader.close().catch((err) => log.error({ err }, 'policy: reader close failed'));
      await publisher.idle();
      await audit.flushed();
      await Promise.allSettled([producer.disconnect(), app.close()]);
    })();
    return closing;
  };
  if (options.adminPort !== undefined) {
    try {
      await app.listen({ host: options.adminHost ?? '127.0.0.1', port: options.adminPort });
    } catch (error) {
      await close();
      throw error;
    }
    const address = app.server.address();
    adminPort = typeof address === 'object' && address ? address.port : 0;
  }
  log.info({ adminPort, intervalMs: policy.intervalMs }, 'policy job running');
  const control: PolicyControl = {
    current: () => job.current(),
    clusters: () => job.clusters(),
    history: (cluster, query) => audit.history(cluster, query),
    setOverride: (cluster, override) => job.setOverride(cluster, override),
    clearOverride: (cluster) => job.clearOverride(cluster),
  };
  return { control, registry, adminPort, close };
}

function policyMetrics(registry: Registry) {
  return {
    weight: new Gauge({
      name: 'meshgraph_policy_endpoint_weight',
      help: 'The latest decided weight per endpoint (0 = ejected)',
      labelNames: ['cluster', 'endpoint', 'dry_run'],
      registers: [registry],
    }),
    tick: new Histogram({
      name: 'meshgraph_policy_tick_seconds',
      help: 'Time to compute one interval’s decisions',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
      registers: [registry],
    }),
  };
}
