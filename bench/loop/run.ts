/**
 * The loop benchmark driver: plans the runs (arm × scenario × repetition; `--resume` adds to
 * stored results of the same code revision), measures each (measure.ts), and writes the JSON and
 * the Markdown report after every run. Options: options.ts (`--help`); method: README.md.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineInfo } from '../xds-scale/machine.ts';
import { aggregate } from './aggregate.ts';
import { loadStored, write } from './files.ts';
import { measure, onInterrupt } from './measure.ts';
import { median } from './metrics.ts';
import { parseOptions, usage } from './options.ts';
import { compactJson, machineLine, markdown, type Report, type Session } from './report.ts';
import { type RunResult, runResult } from './result.ts';
import {
  describeMissing,
  duration,
  fitBudget,
  missingRuns,
  type Plan,
  pendingRuns,
  plannedRuns,
  type RunKey,
  runKey,
  runSeconds,
  unionPlan,
  withRun,
} from './resume.ts';
import { codeRevision } from './revision.ts';
import { type Arm, arms, type Scenario, scenarios } from './scenarios.ts';
import { targets, targetsTable } from './targets.ts';

const progress = (line: string) => process.stderr.write(`[loop] ${line}\n`);

const ms = (x: number) => (Number.isFinite(x) ? Math.round(x) : '—');
const line = (r: RunResult, tookS: number) => {
  const w = r.phases.faultLate;
  return `rep ${r.rep} ${r.scenario} ${r.arm}: fault-late p50/p99/p999 ${ms(w.p50Ms)}/${ms(w.p99Ms)}/${ms(w.p999Ms)} ms, errors ${(w.errorRate * 100).toFixed(2)}%, timeouts ${w.timeouts}; ${r.timeToMitigateS === null ? 'never mitigated' : `mitigated ${r.timeToMitigateS} s`}, flips ${r.flips.total}, send lag max ${ms(r.generator.maxSendLagMs)} ms (${tookS} s)`;
};

/** The session's plan for an operator: what is there, what runs now, how long it takes. */
function planText(
  plan: Plan,
  present: number,
  todo: readonly RunKey[],
  perRunS: number,
  budgetS: number | undefined,
): string {
  const total = plannedRuns(plan).length;
  const now = fitBudget(todo, perRunS, budgetS);
  const later = todo.length - now.length;
  return [
    `plan: ${total} runs (${plan.arms.length} arms × ${plan.scenarios.length} scenarios × ${plan.reps} rep${plan.reps === 1 ? '' : 's'}); ${present} present, ${todo.length} to run in this selection`,
    `this session: ${now.length} run(s) × ~${perRunS} s ≈ ${duration(now.length * perRunS)}${budgetS === undefined ? '' : ` (--max-minutes ${budgetS / 60})`}${later ? `; ${later} left for later (≈ ${duration(later * perRunS)})` : ''}`,
    ...describeMissing(now, plan).map((l) => `  ${l}`),
  ].join('\n');
}

/** Runs the benchmark with `argv` (options.ts); `command` is what the report says was run. */
export async function runLoopBench(
  argv: readonly string[],
  command = ['npx tsx bench/loop/run.ts', ...argv].join(' '),
): Promise<Report | undefined> {
  const options = parseOptions(argv);
  if (options.help) return void process.stdout.write(usage);
  const machine = machineInfo();
  const revision = codeRevision();
  const date = new Date().toISOString();
  const { stored, forced } = loadStored(options, { revision, machine }, progress);
  const { json, md, resume, resumeForce, plan: planOnly, maxMinutes, help, ...measured } = options;
  const selection: Plan = options;
  const plan = stored ? unionPlan(stored.options, selection) : selection;
  let runs: RunResult[] = [...(stored?.runs ?? [])];
  const todo = pendingRuns(selection, runs, revision.tree, resumeForce);
  let perRunS = runSeconds(options, runs);
  const budgetS = maxMinutes === undefined ? undefined : maxMinutes * 60;
  const present = plannedRuns(plan).length - missingRuns(plan, runs).length;
  const planned = planText(plan, present, todo, perRunS, budgetS);
  if (planOnly) {
    console.log(
      `revision: ${revision.tree}${revision.dirty.length ? ` (uncommitted changes in ${revision.dirty.join(', ')}: runs measured now could not be resumed later; commit first)` : ''}\n${planned}`,
    );
    return undefined;
  }
  console.log(`machine: ${machineLine(machine)}\ncommand: ${command}\ndate:    ${date}\n`);
  progress(planned);
  if (revision.tree === 'dirty' || revision.tree === 'unknown')
    progress(
      `revision ${revision.tree}${revision.dirty.length ? `: uncommitted changes in ${revision.dirty.join(', ')}` : ''}: these results cannot be resumed later; commit first for a run that accumulates`,
    );
  const previous: Session[] = stored
    ? [
        ...(stored.sessions ?? [
          {
            date: stored.date,
            command: stored.command,
            revision: stored.revision?.tree ?? 'unknown',
            commit: stored.revision?.commit ?? null,
            runs: stored.runs.length,
          },
        ]),
      ]
    : [];
  let measuredNow = 0;
  const order = new Map(plannedRuns(plan).map((k, i) => [runKey(k), i]));
  const report = (): Report => {
    const sorted = [...runs].sort(
      (x, y) => (order.get(runKey(x)) ?? order.size) - (order.get(runKey(y)) ?? order.size),
    );
    const groups = plan.scenarios.flatMap((s) =>
      plan.arms.flatMap((a) => {
        const of = sorted.filter((r) => r.arm === a && r.scenario === s);
        return of.length ? [aggregate(of)] : [];
      }),
    );
    const missing = missingRuns(plan, sorted).map(runKey);
    const session: Session = {
      date,
      command,
      revision: revision.tree,
      commit: revision.commit,
      runs: measuredNow,
      ...(forced.length ? { forced } : {}),
    };
    return {
      benchmark: 'loop',
      date: stored?.date ?? date,
      command: stored?.command ?? command,
      machine,
      options: {
        ...measured,
        arms: [...plan.arms],
        scenarios: [...plan.scenarios],
        reps: plan.reps,
      },
      // A session that measured nothing (a resume with nothing left) changes no provenance.
      revision: measuredNow || !stored ? revision : stored.revision,
      sessions: measuredNow || !previous.length ? [...previous, session] : previous,
      complete: missing.length === 0,
      missing,
      aggregates: groups,
      runs: sorted,
    };
  };
  const save = (r: Report) => {
    write(json, `${compactJson(r)}\n`);
    write(md, markdown(r));
  };
  const start = Date.now();
  const took: number[] = [];
  const release = onInterrupt(json, progress);
  try {
    for (const [i, k] of todo.entries()) {
      const elapsedS = (Date.now() - start) / 1000;
      if (budgetS !== undefined && elapsedS + perRunS > budgetS) {
        progress(
          `--max-minutes ${maxMinutes}: stopping before run ${i + 1} of ${todo.length} (${Math.round(elapsedS)} s used, a run takes ~${perRunS} s); resume with --resume ${json}`,
        );
        break;
      }
      // Every run starts `meshgraph up` from the working tree: code edited since the session
      // started would be measured under the start's revision. Stop instead.
      const now = i === 0 ? revision : codeRevision();
      if (now.tree !== revision.tree) {
        const changed = [...new Set([...now.dirty, ...Object.keys(now.paths)])].filter(
          (p) => now.paths[p] !== revision.paths[p] || now.dirty.includes(p),
        );
        progress(
          `the code changed since this session started (revision ${revision.tree} → ${now.tree}: ${changed.join(', ')}); stopping before run ${i + 1} of ${todo.length}`,
        );
        break;
      }
      const arm = arms.find((a) => a.name === k.arm) as Arm;
      const scenario = scenarios.find((s) => s.name === k.scenario) as Scenario;
      const t0 = Date.now();
      const at = new Date(t0).toISOString();
      const raw = await measure(arm, scenario, k.rep, options);
      const tookS = Math.round((Date.now() - t0) / 1000);
      const result: RunResult = { ...runResult(raw), revision: revision.tree, at, tookS };
      runs = withRun(runs, result);
      measuredNow += 1;
      took.push(tookS);
      perRunS = Math.max(perRunS, Math.round(median(took)));
      progress(`${line(result, tookS)} [${i + 1}/${todo.length}]`);
      save(report());
    }
  } finally {
    release();
  }
  const final = report();
  if (!todo.length) progress('nothing to run: every planned run of this selection is present');
  if (!final.complete)
    progress(
      `${final.missing?.length} of ${plannedRuns(plan).length} planned runs still missing; resume with --resume ${json}`,
    );
  console.log(`${targetsTable(targets(final.aggregates, options.loopPeriodS))}\n`);
  console.log(
    markdown(final)
      .split('\n## ')
      .slice(2)
      .map((s) => `## ${s}`)
      .join('\n'),
  );
  save(final);
  return final;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runLoopBench(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  });
}
