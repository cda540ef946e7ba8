import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import type { Logger } from '../../lib/log.ts';
import { type RunningCollector, startCollector } from '../../stream-jobs/collector/start.ts';
import { startRollup } from '../../stream-jobs/rollup/start.ts';
import { startTestStack, type TestStack } from './stack.ts';
import { waitFor } from './xds.ts';

/**
 * The traffic pipeline the real-loop tests share, started in this process: a real Kafka, the ALS
 * collector, the rollup job into an embedded ClickHouse (chdb) in a fresh directory, and a store
 * open on it. Envoy and the xds-server are the caller's: their config names this collector's
 * port.
 */
export interface TestPipeline {
  readonly dir: string;
  readonly brokers: string[];
  readonly clickhouseUrl: string;
  readonly collector: RunningCollector;
  readonly store: ClickHouseStore;
  readonly kafka: TestStack;
  /** Stops the rollup job alone (the statistics stop); close() then skips it. */
  stopRollup(): Promise<void>;
  /** Stops the collector, the rollup, the store and Kafka, then removes the directory. */
  close(): Promise<void>;
}

/** `name` labels the temporary directory (meshgraph-<name>-…) so a leftover one says whose it is. */
export async function startTestPipeline(name: string, log: Logger): Promise<TestPipeline> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `meshgraph-${name}-`));
  let kafka: TestStack | undefined;
  let collector: RunningCollector | undefined;
  let rollup: { close(): Promise<void> } | undefined;
  let store: ClickHouseStore | undefined;
  // The order the tests had: nothing left producing into Kafka or writing to ClickHouse when
  // each goes away.
  const stopRollup = async () => {
    const running = rollup;
    rollup = undefined;
    await running?.close();
  };
  const close = async () => {
    await collector?.close();
    await stopRollup();
    await store?.close();
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    kafka = await startTestStack({ kafka: true });
    const brokers = kafka.kafka?.brokers as string[];
    collector = await startCollector({ brokers, grpcAddress: '127.0.0.1:0', adminPort: 0, log });
    const clickhouseUrl = `chdb://${path.join(dir, 'clickhouse')}`;
    rollup = await startRollup({ brokers, clickhouseUrl, adminPort: 0, log });
    store = await openStore(clickhouseUrl, log);
    return { dir, brokers, clickhouseUrl, collector, store, kafka, stopRollup, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits until Envoy's listener on `port` answers `route` with 200: LDS, RDS, CDS and EDS all in. */
export function waitForEnvoyAnswer(port: number, route = '/', what = 'Envoy'): Promise<true> {
  return waitFor(`${what} answering through Envoy on ${route}`, async () => {
    const response = await fetch(`http://127.0.0.1:${port}${route}`).catch(() => undefined);
    await response?.body?.cancel();
    return response?.status === 200 ? true : undefined;
  });
}
