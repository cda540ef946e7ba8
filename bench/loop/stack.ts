/**
 * The stack of one run: `meshgraph up` (every meshgraph component and its own Kafka, as a user
 * runs it) as a child process on free ports, and a real Envoy (`--concurrency 1`) on ADS.
 * Fresh for every run, so no run inherits another's routing.v1 state or statistics.
 */

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adsBootstrap } from '../../envoy/bootstrap.ts';
import type { Logger } from '../../lib/log.ts';
import { envoyDriver } from '../../stack/envoy/driver.ts';
import { installEnvoy } from '../../stack/envoy/install.ts';
import { projectRoot } from '../../stack/paths.ts';
import { freePort } from '../../stack/ports.ts';
import { which } from '../../stack/prerequisites.ts';
import { launch, signalGroup } from '../../stack/process.ts';

export interface RunStack {
  /** Where clients send requests: Envoy's listener. */
  readonly listenerUrl: string;
  readonly xdsAdminPort: number;
  readonly envoyAdminPort: number;
  /** The graph/policy API, when this `meshgraph up` has one (`--api-port`). */
  readonly apiPort: number | undefined;
  readonly token: string;
  /** SIGTERM to `meshgraph up` (it stops its Kafka) and Envoy; SIGKILL after 30 s. */
  stop(): Promise<void>;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench loop: timed out waiting for ${what}`);
    await sleep(200);
  }
}

const ok = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    (response) => response.ok,
    () => false,
  );

const meshgraphJs = path.join(projectRoot, 'bin', 'meshgraph.js');
let portFlags: Promise<string[]> | undefined;

/**
 * Every `--…-port` flag that `meshgraph up --help` lists. Each gets a free port, so a run never
 * collides with anything on the defaults, and components added to `up` later are covered.
 */
function upPortFlags(): Promise<string[]> {
  portFlags ??= new Promise((resolve, reject) =>
    execFile(process.execPath, [meshgraphJs, 'up', '--help'], (error, stdout) =>
      error ? reject(error) : resolve([...new Set(stdout.match(/--[a-z-]+-port\b/g) ?? [])]),
    ),
  );
  return portFlags;
}

/** Starts `meshgraph up` serving `yaml` and an Envoy on it, in `dir`; ready once Envoy routes. */
export async function startRunStack(options: {
  dir: string;
  yaml: (ports: { listener: number; collector: number }) => string;
  log: Logger;
}): Promise<RunStack> {
  const { dir, log } = options;
  const flags = await upPortFlags();
  for (const needed of ['--xds-port', '--xds-admin-port', '--collector-port']) {
    if (!flags.includes(needed)) throw new Error(`meshgraph up has no ${needed} flag`);
  }
  const portOf = new Map<string, number>();
  for (const flag of flags) portOf.set(flag, await freePort());
  const at = (flag: string) => portOf.get(flag) as number;
  const ports = {
    listener: await freePort(),
    xds: at('--xds-port'),
    xdsAdmin: at('--xds-admin-port'),
    collector: at('--collector-port'),
  };
  const config = path.join(dir, 'mesh.yaml');
  writeFileSync(config, options.yaml(ports));
  const token = randomBytes(16).toString('hex');
  const args = [
    ...[meshgraphJs, 'up', '--config', config, '--token', token],
    ...[
      '--clickhouse',
      `chdb://${path.join(dir, 'clickhouse')}`,
      '--run-dir',
      path.join(dir, 'up'),
    ],
    ...[...portOf].flatMap(([flag, port]) => [flag, String(port)]),
  ];
  const logFile = path.join(dir, 'up.log');
  const out = openSync(logFile, 'a');
  // Like stack/process.ts: its own process group, and killed by the kernel if we die first.
  const setpriv = which('setpriv');
  const [command, argv] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', process.execPath, ...args]]
    : [process.execPath, args];
  const up = spawn(command, argv, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  const upExit = new Promise<void>((resolve) => up.once('exit', () => resolve()));
  void upExit.then(() => {
    exited = true;
  });
  const stopUp = async () => {
    if (up.pid === undefined || exited) return;
    signalGroup(up.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(up.pid as number, 'SIGKILL'), 30_000);
    await upExit;
    clearTimeout(timer);
  };
  const tail = () => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-8).join('\n');

  let envoy: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    await until('meshgraph up (xds-server ready)', 240_000, async () => {
      if (exited) throw new Error(`meshgraph up exited early; ${logFile} ends with:\n${tail()}`);
      return ok(`http://127.0.0.1:${ports.xdsAdmin}/readyz`);
    });
    await installEnvoy(log);
    const driver = envoyDriver({
      bootstrap: (p) =>
        adsBootstrap({ adminPort: p.admin as number, xdsPort: ports.xds, nodeId: 'bench-loop' }),
      concurrency: 1,
      logLevel: 'warn',
    });
    envoy = await launch(driver, path.join(dir, 'envoy'), { log });
    const listener = `http://127.0.0.1:${ports.listener}/`;
    await until('Envoy routing to the backends', 60_000, () => ok(listener));
  } catch (error) {
    await envoy?.stop();
    await stopUp();
    throw error;
  }
  const running = envoy;
  return {
    xdsAdminPort: ports.xdsAdmin,
    envoyAdminPort: running.plan.port,
    apiPort: portOf.get('--api-port'),
    token,
    listenerUrl: `http://127.0.0.1:${ports.listener}/`,
    async stop() {
      await running.stop();
      await stopUp();
    },
  };
}
