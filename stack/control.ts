import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ComponentName } from './component.ts';
import { stackDrivers } from './drivers.ts';
import { projectRoot } from './paths.ts';
import { isAlive, signalGroup } from './process.ts';
import { readState, removeState, type StackState } from './state.ts';

export interface ComponentStatus {
  ready: boolean;
  port: number | null;
  pid: number | null;
}

/** Per component: is its process alive and does its readiness probe pass right now. */
export async function stackStatus(
  runDir: string,
  names: readonly ComponentName[],
): Promise<{ running: boolean; components: Record<string, ComponentStatus> }> {
  const state = readState(runDir);
  const drivers = stackDrivers();
  const running = state !== undefined && isAlive(state.supervisorPid);
  const components: Record<string, ComponentStatus> = {};
  for (const name of names) {
    const component = running ? state?.components[name] : undefined;
    if (!component) {
      components[name] = { ready: false, port: null, pid: null };
      continue;
    }
    const ready = isAlive(component.pid) && (await drivers[name].isReady(component.plan));
    components[name] = { ready, port: component.port, pid: component.pid };
  }
  return { running, components };
}

/**
 * Starts a detached supervisor (`stack up --foreground`) and waits until its state file says
 * ready or failed. The supervisor outlives this command; `stack down` ends it.
 */
export async function startDetached(
  runDir: string,
  names: readonly ComponentName[],
  timeoutMs: number,
): Promise<StackState> {
  mkdirSync(runDir, { recursive: true });
  const out = openSync(path.join(runDir, 'supervisor.log'), 'a');
  const child = spawn(
    process.execPath,
    [
      path.join(projectRoot, 'bin', 'meshgraph.js'),
      'stack',
      'up',
      '--foreground',
      '--run-dir',
      runDir,
      ...names,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  const pid = child.pid as number;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(runDir);
    if (state?.supervisorPid === pid && state.phase !== 'starting') return state;
    if (!isAlive(pid)) {
      return (
        readState(runDir) ?? {
          supervisorPid: pid,
          startedAt: new Date().toISOString(),
          phase: 'failed',
          error: `the supervisor exited before it was ready; see ${path.join(runDir, 'supervisor.log')}`,
          components: {},
        }
      );
    }
    if (Date.now() > deadline) {
      await stopStack(runDir);
      throw new Error(
        `stack not ready after ${timeoutMs} ms; see ${path.join(runDir, 'supervisor.log')}`,
      );
    }
    await delay(250);
  }
}

/**
 * Stops the supervisor (it stops its children), then makes sure: any component process group
 * still there gets SIGKILL. Returns the pids that had to be killed that way.
 */
export async function stopStack(
  runDir: string,
  graceMs = 15_000,
): Promise<{ wasRunning: boolean; forced: number[] }> {
  const state = readState(runDir);
  if (!state) return { wasRunning: false, forced: [] };
  const wasRunning = isAlive(state.supervisorPid);
  if (wasRunning) {
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(state.supervisorPid) && Date.now() < deadline) await delay(100);
  }
  const forced: number[] = [];
  for (const component of Object.values(state.components)) {
    if (component && isAlive(component.pid)) {
      forced.push(component.pid);
      signalGroup(component.pid, 'SIGKILL');
    }
  }
  if (isAlive(state.supervisorPid)) process.kill(state.supervisorPid, 'SIGKILL');
  removeState(runDir);
  return { wasRunning, forced };
}
