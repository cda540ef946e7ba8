import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../lib/log.ts';
import { clickhouseServerDriver } from '../../stack/clickhouse.ts';
import type { LaunchPlan } from '../../stack/component.ts';
import { type EnvoyDriverOptions, envoyDriver } from '../../stack/envoy/driver.ts';
import { installEnvoy } from '../../stack/envoy/install.ts';
import { kafkaDriver } from '../../stack/kafka/driver.ts';
import { installKafka } from '../../stack/kafka/install.ts';
import { freePort } from '../../stack/ports.ts';
import { launch } from '../../stack/process.ts';
import {
  startClickHouseContainer,
  startEnvoyContainer,
  startKafkaContainer,
} from './containers.ts';
import { testRuntime } from './runtime.ts';

/** What a test needs started; each field left out is not started. */
export interface TestStackRequest {
  kafka?: boolean;
  /** A ClickHouse *server* (the embedded engine needs nothing started). */
  clickhouse?: boolean;
  envoy?: EnvoyDriverOptions;
}

export interface TestStack {
  readonly runtime: 'native' | 'containers';
  /** The folder holding configs, data and logs; removed by `stop`. */
  readonly dir: string;
  readonly kafka?: { brokers: string[]; plan: LaunchPlan };
  readonly clickhouse?: { url: string; plan: LaunchPlan };
  readonly envoy?: { adminPort: number; ports: Record<string, number>; plan: LaunchPlan };
  /** Stops everything this harness started and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

const log = createLogger('test-stack', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

/**
 * Starts the real components a test asks for, each on ports picked at run time in a folder of
 * its own, so test files run in parallel. Native processes here; the official images through
 * testcontainers where a Docker engine answers (see runtime.ts).
 */
export async function startTestStack(request: TestStackRequest): Promise<TestStack> {
  const runtime = await testRuntime();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-test-'));
  const stops: Array<() => Promise<unknown>> = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await Promise.allSettled(stops.map((s) => s()));
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const started = await Promise.all([
      request.kafka ? startKafka(runtime, dir, stops) : undefined,
      request.clickhouse ? startClickHouse(runtime, dir, stops) : undefined,
      request.envoy ? startEnvoy(runtime, dir, request.envoy, stops) : undefined,
    ]);
    const [kafkaPlan, clickhousePlan, envoyPlan] = started;
    return {
      runtime,
      dir,
      ...(kafkaPlan && { kafka: { brokers: [`127.0.0.1:${kafkaPlan.port}`], plan: kafkaPlan } }),
      ...(clickhousePlan && {
        clickhouse: { url: `http://127.0.0.1:${clickhousePlan.port}`, plan: clickhousePlan },
      }),
      ...(envoyPlan && {
        envoy: { adminPort: envoyPlan.port, ports: envoyPlan.endpoints, plan: envoyPlan },
      }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

type Stops = Array<() => Promise<unknown>>;

async function startKafka(runtime: string, dir: string, stops: Stops): Promise<LaunchPlan> {
  if (runtime === 'containers') {
    const c = await startKafkaContainer(kafkaDriver(), {
      broker: await freePort(),
      controller: await freePort(),
    });
    stops.push(c.stop);
    return c.plan;
  }
  await installKafka(log);
  const running = await launch(kafkaDriver(), path.join(dir, 'kafka'), { log });
  stops.push(running.stop);
  return running.plan;
}

async function startClickHouse(runtime: string, dir: string, stops: Stops): Promise<LaunchPlan> {
  const driver = clickhouseServerDriver();
  if (runtime === 'containers') {
    const c = await startClickHouseContainer(driver, dir, {
      http: await freePort(),
      tcp: await freePort(),
    });
    stops.push(c.stop);
    return c.plan;
  }
  const running = await launch(driver, path.join(dir, 'clickhouse'), { log });
  stops.push(running.stop);
  return running.plan;
}

async function startEnvoy(
  runtime: string,
  dir: string,
  options: EnvoyDriverOptions,
  stops: Stops,
): Promise<LaunchPlan> {
  const driver = envoyDriver(options);
  if (runtime === 'containers') {
    const c = await startEnvoyContainer(driver, path.join(dir, 'envoy'));
    stops.push(c.stop);
    return c.plan;
  }
  await installEnvoy(log);
  const running = await launch(driver, path.join(dir, 'envoy'), { log });
  stops.push(running.stop);
  return running.plan;
}
