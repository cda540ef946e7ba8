import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { parse } from 'yaml';
import type { ComponentDriver, LaunchPlan } from '../../stack/component.ts';
import { projectRoot } from '../../stack/paths.ts';

/**
 * The official images, pinned to the versions the native stack installs. Containers use the host
 * network so every port, config file and readiness probe is the one the native path uses.
 */
export const images = {
  envoy: 'envoyproxy/envoy:v1.40.0',
  kafka: 'apache/kafka:4.1.1',
  clickhouse: 'clickhouse/clickhouse-server:25.8',
} as const;

function composeEnvironment(service: string): Record<string, string> {
  const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'));
  return Object.fromEntries(
    Object.entries(compose.services[service].environment ?? {}).map(([k, v]) => [k, String(v)]),
  );
}

export interface StartedContainer {
  plan: LaunchPlan;
  stop(): Promise<void>;
}

async function waitReady(
  driver: ComponentDriver,
  plan: LaunchPlan,
  container: StartedTestContainer,
) {
  const deadline = Date.now() + 120_000;
  while (!(await driver.isReady(plan))) {
    if (Date.now() > deadline) {
      await container.stop();
      throw new Error(`${driver.name} container not ready within 120 s`);
    }
    await delay(250);
  }
}

/** Envoy: the driver's own bootstrap file and arguments, run by the official image. */
export async function startEnvoyContainer(
  driver: ComponentDriver,
  dir: string,
): Promise<StartedContainer> {
  mkdirSync(dir, { recursive: true });
  const plan = await driver.prepare(dir);
  const container = await new GenericContainer(images.envoy)
    .withNetworkMode('host')
    .withBindMounts([{ source: dir, target: dir }])
    .withCommand(['envoy', ...plan.args])
    .start();
  await waitReady(driver, plan, container);
  return { plan, stop: async () => void (await container.stop()) };
}

/**
 * Kafka in KRaft single-node mode with docker-compose.yml's settings (which a unit test keeps
 * equal to the native driver's), moved to ports picked at run time.
 */
export async function startKafkaContainer(
  driver: ComponentDriver,
  ports: { broker: number; controller: number },
): Promise<StartedContainer> {
  const plan: LaunchPlan = {
    command: 'container',
    args: [],
    port: ports.broker,
    endpoints: { ...ports },
  };
  const container = await new GenericContainer(images.kafka)
    .withNetworkMode('host')
    .withEnvironment({
      ...composeEnvironment('kafka'),
      KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller}`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${ports.broker}`,
      KAFKA_CONTROLLER_QUORUM_VOTERS: `1@127.0.0.1:${ports.controller}`,
    })
    .start();
  await waitReady(driver, plan, container);
  return { plan, stop: async () => void (await container.stop()) };
}

/** ClickHouse server: the image's config plus an override moving it to our ports on 127.0.0.1. */
export async function startClickHouseContainer(
  driver: ComponentDriver,
  dir: string,
  ports: { http: number; tcp: number },
): Promise<StartedContainer> {
  const override = path.join(dir, 'ports.xml');
  writeFileSync(
    override,
    `<clickhouse><listen_host>127.0.0.1</listen_host><http_port>${ports.http}</http_port><tcp_port>${ports.tcp}</tcp_port><interserver_http_port remove="1"/><mysql_port remove="1"/><postgresql_port remove="1"/></clickhouse>\n`,
  );
  const plan: LaunchPlan = {
    command: 'container',
    args: [],
    port: ports.http,
    endpoints: { ...ports },
  };
  const container = await new GenericContainer(images.clickhouse)
    .withNetworkMode('host')
    .withBindMounts([
      { source: override, target: '/etc/clickhouse-server/config.d/ports.xml', mode: 'ro' },
    ])
    .start();
  await waitReady(driver, plan, container);
  return { plan, stop: async () => void (await container.stop()) };
}
