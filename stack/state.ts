import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/write-atomic.ts';
import type { ComponentName, LaunchPlan } from './component.ts';

/** One started component as the state file records it. */
export interface ComponentState {
  pid: number;
  port: number;
  endpoints: Record<string, number>;
  logFile: string;
  plan: LaunchPlan;
}

/**
 * What `stack status` and `stack down` read: written by the supervising process of a run
 * folder. `phase` moves starting → ready, or to failed with `error`.
 */
export interface StackState {
  supervisorPid: number;
  startedAt: string;
  phase: 'starting' | 'ready' | 'failed';
  error?: string;
  components: Partial<Record<ComponentName, ComponentState>>;
}

export function stateFile(runDir: string): string {
  return path.join(runDir, 'state.json');
}

export function readState(runDir: string): StackState | undefined {
  const file = stateFile(runDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    // A torn or hand-edited file: treat as absent rather than crash `status`.
    return undefined;
  }
}

/** Written to a temp file and renamed, so a concurrent reader never sees half a file. */
export function writeState(runDir: string, state: StackState): void {
  writeFileAtomic(stateFile(runDir), JSON.stringify(state, null, 2));
}

export function removeState(runDir: string): void {
  rmSync(stateFile(runDir), { force: true });
}
