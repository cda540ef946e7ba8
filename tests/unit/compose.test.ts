import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serverProperties } from '../../stack/kafka/driver.ts';
import { KAFKA_VERSION } from '../../stack/kafka/install.ts';
import { projectRoot } from '../../stack/paths.ts';
import { images } from '../support/containers.ts';

interface Compose {
  services: Record<string, { image?: string; environment?: Record<string, string> }>;
}
const compose = parse(
  readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'),
) as Compose;

/** Settings that only say where things are: they differ between a container and a host by design. */
const placement = new Set([
  'listeners',
  'advertised.listeners',
  'controller.quorum.voters',
  'log.dirs',
  'inter.broker.listener.name',
]);

function nativeKafkaSettings(): Map<string, string> {
  const text = serverProperties({ broker: 1, controller: 2, dataDir: '/data', partitions: 3 });
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split('=', 2) as [string, string]);
  return new Map(entries.filter(([key]) => !placement.has(key)));
}

describe('docker-compose.yml mirrors the native stack', () => {
  it('runs the Kafka version the native stack pins, with the same single-node settings', () => {
    const kafka = compose.services.kafka;
    expect(kafka?.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    const env = kafka?.environment ?? {};
    const fromCompose = new Map(
      Object.entries(env).map(([key, value]) => [
        key
          .replace(/^KAFKA_/, '')
          .toLowerCase()
          .replaceAll('_', '.'),
        String(value),
      ]),
    );
    for (const [key, value] of nativeKafkaSettings()) {
      expect(fromCompose.get(key), `compose sets ${key} like stack/kafka/driver.ts`).toBe(value);
    }
  });

  it('uses the images the container test runtime uses', () => {
    expect(compose.services.envoy?.image).toBe(images.envoy);
    expect(compose.services.kafka?.image).toBe(images.kafka);
    expect(compose.services.clickhouse?.image).toBe(images.clickhouse);
  });

  it('pins the Envoy image to the wheel version the native stack installs', () => {
    const pin = readFileSync(path.join(projectRoot, 'stack/envoy/requirements.txt'), 'utf8').trim();
    expect(images.envoy).toBe(`envoyproxy/envoy:v${pin.split('==')[1]}`);
  });
});
