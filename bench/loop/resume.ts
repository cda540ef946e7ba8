/**
 * Accumulating the loop benchmark across sessions (pure: unit-tested). The full configuration
 * (6 arms × 5 scenarios × 3 repetitions of 60 s phases) takes over five hours; `--resume FILE`
 * loads the results already in FILE, checks they were measured with the same options, code
 * revision and machine, and runs only what is missing. What the report lists as missing, and
 * the estimate `--plan` prints, come from here too.
 */

import type { MachineInfo } from '../xds-scale/machine.ts';
import { median } from './metrics.ts';
import type { Options } from './options.ts';
import type { Report } from './report.ts';
import type { RunResult } from './result.ts';
import type { Revision } from './revision.ts';
import { arms, scenarios } from './scenarios.ts';

export interface RunKey {
  readonly arm: string;
  readonly scenario: string;
  readonly rep: number;
}

/** What a results file is meant to hold: every arm × scenario × repetition 1..reps. */
export interface Plan {
  readonly arms: readonly string[];
  readonly scenarios: readonly string[];
  readonly reps: number;
}

export const runKey = (r: RunKey) => `${r.arm}:${r.scenario}:${r.rep}`;

/**
 * The options whose change changes what a run measures: runs measured with different ones do
 * not belong in one table. (`--reps`, `--arms`, `--scenarios` choose which runs, and
 * `--loop-period-seconds` only sets a target's threshold: those may differ between sessions.)
 */
export const measuredOptions = [
  'phaseS',
  'warmupS',
  'settleS',
  'rate',
  'backends',
  'timeoutMs',
  'medianMs',
  'sigma',
  'workers',
  'queue',
  'seed',
] as const satisfies readonly (keyof Options)[];

/** The machine's fields that must match (memory and kernel may drift between boots). */
export const machineFields = [
  'cpu',
  'cores',
  'node',
] as const satisfies readonly (keyof MachineInfo)[];

const inOrder = (all: readonly { name: string }[], names: Iterable<string>) => {
  const set = new Set(names);
  return all.map((x) => x.name).filter((n) => set.has(n));
};

/** Both plans' arms and scenarios (in the canonical order), and the larger number of reps. */
export function unionPlan(a: Plan, b: Plan): Plan {
  return {
    arms: inOrder(arms, [...a.arms, ...b.arms]),
    scenarios: inOrder(scenarios, [...a.scenarios, ...b.scenarios]),
    reps: Math.max(a.reps, b.reps),
  };
}

/**
 * Every run of the plan in the order they are run: repetition by repetition, and within one
 * scenario the arms one after another (a slow drift of the machine hits every arm alike).
 */
export function plannedRuns(plan: Plan): RunKey[] {
  const out: RunKey[] = [];
  const chosenScenarios = inOrder(scenarios, plan.scenarios);
  const chosenArms = inOrder(arms, plan.arms);
  for (let rep = 1; rep <= plan.reps; rep++)
    for (const scenario of chosenScenarios)
      for (const arm of chosenArms) out.push({ arm, scenario, rep });
  return out;
}

/**
 * Whether a stored run counts as done: present, and (unless forced) measured on this revision.
 * A run of another revision (kept by an earlier `--resume-force`) is measured again.
 */
export function isDone(run: RunResult, revisionTree: string, force: boolean): boolean {
  return force || run.revision === revisionTree;
}

/** The runs of `plan` still to measure, in run order. */
export function pendingRuns(
  plan: Plan,
  stored: readonly RunResult[],
  revisionTree: string,
  force: boolean,
): RunKey[] {
  const done = new Set(stored.filter((r) => isDone(r, revisionTree, force)).map(runKey));
  return plannedRuns(plan).filter((k) => !done.has(runKey(k)));
}

/** The runs of `plan` with no result at all. */
export function missingRuns(plan: Plan, runs: readonly RunKey[]): RunKey[] {
  const have = new Set(runs.map(runKey));
  return plannedRuns(plan).filter((k) => !have.has(runKey(k)));
}

/** `run` added to `runs`, replacing an earlier run of the same arm × scenario × repetition. */
export function withRun<T extends RunKey>(runs: readonly T[], run: T): T[] {
  const k = runKey(run);
  return [...runs.filter((r) => runKey(r) !== k), run];
}

/**
 * Missing runs for a reader, one line per repetition and scenario:
 * "rep 2 S3: a, b, c, ct, d, e (all arms)".
 */
export function describeMissing(keys: readonly RunKey[], plan: Plan): string[] {
  const lines: string[] = [];
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const g = `rep ${k.rep} ${k.scenario}`;
    groups.set(g, [...(groups.get(g) ?? []), k.arm]);
  }
  const armCount = inOrder(arms, plan.arms).length;
  for (const [g, names] of groups)
    lines.push(`${g}: ${names.join(', ')}${names.length === armCount ? ' (all arms)' : ''}`);
  return lines;
}

const show = (x: unknown) => JSON.stringify(x) ?? 'absent';

/**
 * Why the stored results cannot be resumed with these options on this revision and machine:
 * one line per differing field, naming it; empty when they can.
 */
export function resumeProblems(
  stored: Pick<Report, 'options' | 'machine'> & { revision?: Revision },
  current: { options: Options; revision: Revision; machine: MachineInfo },
): string[] {
  const problems: string[] = [];
  for (const key of measuredOptions) {
    const was = (stored.options as Partial<Record<string, unknown>>)[key];
    const now = current.options[key];
    if (was !== now)
      problems.push(`option ${key}: the file has ${show(was)}, this run ${show(now)}`);
  }
  for (const key of machineFields) {
    const was = stored.machine?.[key];
    const now = current.machine[key];
    if (was !== now)
      problems.push(`machine ${key}: the file has ${show(was)}, this one ${show(now)}`);
  }
  const was = stored.revision;
  const now = current.revision;
  if (!was) problems.push('revision: the file records none (measured before --resume existed)');
  else if (was.tree === 'dirty')
    problems.push(
      `revision: the file's runs were measured with uncommitted changes (${was.dirty.join(', ')}): no commit reproduces them`,
    );
  else if (was.tree === 'unknown')
    problems.push("revision: the file's is unknown (git failed where it was measured)");
  if (now.tree === 'dirty')
    problems.push(
      `revision: uncommitted changes here in ${now.dirty.join(', ')}: commit them first (runs measured now could not be reproduced)`,
    );
  else if (now.tree === 'unknown') problems.push('revision: unknown here (git failed)');
  const clean = (r: Revision | undefined): r is Revision =>
    r !== undefined && r.tree !== 'dirty' && r.tree !== 'unknown';
  if (clean(was) && clean(now) && was.tree !== now.tree) {
    const changed = Object.keys({ ...was.paths, ...now.paths })
      .filter((p) => was.paths[p] !== now.paths[p])
      .sort();
    problems.push(
      `revision: the file's is ${was.tree} (HEAD ${was.commit?.slice(0, 12) ?? '?'}), this one ${now.tree} (HEAD ${now.commit?.slice(0, 12) ?? '?'}); changed since: ${changed.join(', ') || '(the set of paths)'}`,
    );
  }
  return problems;
}

/** A results file's text → its report; throws with the path on anything else. */
export function parseStored(text: string, path: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`--resume ${path}: not JSON (${(error as Error).message})`);
  }
  const report = value as Partial<Report> | null;
  if (
    report?.benchmark !== 'loop' ||
    !Array.isArray(report.runs) ||
    typeof report.options !== 'object'
  )
    throw new Error(`--resume ${path}: not the results of bench loop (no benchmark 'loop', runs)`);
  return report as Report;
}

/** Seconds a run takes besides warm-up and the three phases: starting and stopping the stack. */
export const defaultOverheadS = 20;

/**
 * Estimated seconds of one run: warm-up, three phases and the overhead, the overhead measured
 * from the stored runs' `tookS` when they have it (the median), else {@link defaultOverheadS}.
 */
export function runSeconds(
  o: Pick<Options, 'phaseS' | 'warmupS'>,
  stored: readonly RunResult[] = [],
): number {
  const measured = 3 * o.phaseS + o.warmupS;
  const overheads = stored
    .filter((r) => typeof r.tookS === 'number')
    .map((r) => (r.tookS as number) - measured);
  const overhead = overheads.length ? Math.max(0, median(overheads)) : defaultOverheadS;
  return measured + Math.round(overhead);
}

/** The leading runs that fit in `budgetS` seconds (all when no budget). */
export function fitBudget<T>(runs: readonly T[], perRunS: number, budgetS?: number): T[] {
  if (budgetS === undefined) return [...runs];
  return runs.slice(0, Math.max(0, Math.floor(budgetS / perRunS)));
}

export const duration = (s: number) => {
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
};
