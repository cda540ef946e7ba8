import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../lib/log.ts';
import type { ComponentDriver, ComponentName, LaunchPlan } from './component.ts';
import { which } from './prerequisites.ts';

/**
 * Options for {@link launch}.
 * - `readyTimeoutMs` (number, default 90_000): how long the readiness probe may keep failing.
 * - `pollMs` (number, default 200): pause between readiness probes.
 * - `stopGraceMs` (number, default 10_000): SIGTERM → SIGKILL delay in `stop()`.
 */
export interface LaunchOptions {
  log: Logger;
  readyTimeoutMs?: number;
  pollMs?: number;
  stopGraceMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningComponent {
  readonly name: ComponentName;
  readonly pid: number;
  readonly plan: LaunchPlan;
  readonly dir: string;
  readonly logFile: string;
  /** Settles when the process exits, for whatever reason. */
  readonly exited: Promise<Exit>;
  /** SIGTERM to the whole process group, SIGKILL after the grace period; idempotent. */
  stop(): Promise<Exit>;
}

/** Thrown when a component exits or never becomes ready; carries the end of its log. */
export class LaunchError extends Error {
  override name = 'LaunchError';
}

const setpriv = which('setpriv');

/**
 * Starts a prepared component as a child that cannot outlive this process: the kernel sends it
 * SIGKILL when we die (PR_SET_PDEATHSIG via util-linux `setpriv`, kept across exec), so even a
 * SIGKILLed supervisor leaves nothing behind. Each child leads its own process group so that
 * `stop()` reaches helpers it may fork.
 */
export async function launch(
  driver: ComponentDriver,
  dir: string,
  options: LaunchOptions,
): Promise<RunningComponent> {
  const { log, readyTimeoutMs = 90_000, pollMs = 200, stopGraceMs = 10_000 } = options;
  mkdirSync(dir, { recursive: true });
  await driver.checkInstalled();
  const plan = await driver.prepare(dir);
  const logFile = path.join(dir, `${driver.name}.log`);
  const out = openSync(logFile, 'a');
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', plan.command, ...plan.args]]
    : [plan.command, plan.args];
  if (!setpriv)
    log.warn({ component: driver.name }, 'setpriv not found: children may outlive a killed parent');
  const child: ChildProcess = spawn(command, args, {
    cwd: plan.cwd ?? dir,
    env: plan.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  if (child.pid === undefined) {
    await exited;
    throw new LaunchError(`${driver.name}: could not start '${plan.command}' (see ${logFile})`);
  }
  const pid = child.pid;
  log.info({ component: driver.name, pid, port: plan.port, logFile }, 'started');

  let stopping: Promise<Exit> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), stopGraceMs);
      const exit = await exited;
      clearTimeout(timer);
      signalGroup(pid, 'SIGKILL'); // anything the leader forked and left behind
      log.info({ component: driver.name, pid, ...exit }, 'stopped');
      return exit;
    })();
    return stopping;
  };
  const running: RunningComponent = { name: driver.name, pid, plan, dir, logFile, exited, stop };

  let exitedEarly: Exit | undefined;
  void exited.then((exit) => {
    exitedEarly = exit;
  });
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitedEarly) {
      throw new LaunchError(
        `${driver.name} exited before it was ready (code ${exitedEarly.code}, signal ${exitedEarly.signal}); ${logFile} ends with: ${tail(logFile)}`,
      );
    }
    if (await driver.isReady(plan)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new LaunchError(
        `${driver.name} not ready after ${readyTimeoutMs} ms; ${logFile} ends with: ${tail(logFile)}`,
      );
    }
    await delay(pollMs);
  }
  log.info({ component: driver.name, pid, endpoints: plan.endpoints }, 'ready');
  return running;
}

/** Sends `signal` to the process group led by `pid`; a group that is gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * True while a process with this pid exists and has not exited. A zombie (exited, not yet reaped
 * by whoever inherited it) counts as gone: it holds no port, memory or files.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}
