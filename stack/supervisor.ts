import path from 'node:path';
import type { Logger } from '../lib/log.ts';
import type { ComponentDriver, ComponentName } from './component.ts';
import { launch, type RunningComponent } from './process.ts';
import { removeState, type StackState, writeState } from './state.ts';

/**
 * Options for {@link superviseStack}.
 * - `runDir` (string): state file, logs and data folders (one sub-folder per component).
 * - `drivers` (ComponentDriver[]): what to start; started concurrently.
 * - `log` (Logger).
 */
export interface SuperviseOptions {
  runDir: string;
  drivers: readonly ComponentDriver[];
  log: Logger;
}

export interface SupervisedStack {
  readonly components: ReadonlyMap<ComponentName, RunningComponent>;
  /** Settles when any component exits on its own (not through `stop`). */
  readonly failed: Promise<{ name: ComponentName; code: number | null; signal: string | null }>;
  stop(): Promise<void>;
}

/**
 * Starts every component, records them in the run folder's state file and keeps it true: a
 * failed start stops what did start and records the error; `stop` stops all and removes the file.
 */
export async function superviseStack(options: SuperviseOptions): Promise<SupervisedStack> {
  const { runDir, drivers, log } = options;
  const state: StackState = {
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    phase: 'starting',
    components: {},
  };
  writeState(runDir, state);
  const components = new Map<ComponentName, RunningComponent>();
  const results = await Promise.allSettled(
    drivers.map(async (driver) => {
      const running = await launch(driver, path.join(runDir, driver.name), { log });
      components.set(driver.name, running);
      state.components[driver.name] = {
        pid: running.pid,
        port: running.plan.port,
        endpoints: running.plan.endpoints,
        logFile: running.logFile,
        plan: running.plan,
      };
      writeState(runDir, state);
    }),
  );
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all([...components.values()].map((c) => c.stop()));
    removeState(runDir);
  };
  const failures = results.flatMap((r) =>
    r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : [],
  );
  if (failures.length > 0) {
    await Promise.all([...components.values()].map((c) => c.stop()));
    writeState(runDir, { ...state, phase: 'failed', error: failures.join('; '), components: {} });
    throw new Error(failures.join('; '));
  }
  writeState(runDir, { ...state, phase: 'ready' });
  const failed = new Promise<{ name: ComponentName; code: number | null; signal: string | null }>(
    (resolve) => {
      for (const [name, running] of components) {
        void running.exited.then(({ code, signal }) => {
          if (!stopping) resolve({ name, code, signal });
        });
      }
    },
  );
  return { components, failed, stop };
}
