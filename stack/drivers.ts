import { clickhouseServerDriver } from './clickhouse.ts';
import type { ComponentDriver, ComponentName } from './component.ts';
import { envoyDriver } from './envoy/driver.ts';
import { kafkaDriver } from './kafka/driver.ts';

/** The drivers `meshgraph stack` uses, with their default settings. */
export function stackDrivers(): Record<ComponentName, ComponentDriver> {
  return {
    envoy: envoyDriver(),
    kafka: kafkaDriver(),
    clickhouse: clickhouseServerDriver(),
  };
}
