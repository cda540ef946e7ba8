/**
 * The loop benchmark driver. Every run (arm × scenario × repetition) gets fresh everything:
 * backends (own process), `meshgraph up` with its own Kafka and ClickHouse folder, a real Envoy
 * and the load generator (own process). The driver switches the fault at the phase edges
 * (and, in the oracle arm, the faulty endpoint's weight), and samples the weights each second.
 * Options: options.ts (`--help`); method: README.md.
 */

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../lib/log.ts';
import { loadAverage } from '../ingest/proc.ts';
import { type MachineInfo, machineInfo } from '../xds-scale/machine.ts';
import { median, phases } from './metrics.ts';
import { type Options, parseOptions, usage } from './options.ts';
import { oracle, policyOff } from './oracle.ts';
import {
  type FromBackends,
  type FromLoad,
  Peer,
  type ToBackends,
  type ToLoad,
} from './protocol.ts';
import {
  compactJson,
  machineLine,
  markdown,
  type Report,
  type Session,
  targets,
  targetsTable,
} from './report.ts';
import { aggregate, type RunRaw, type RunResult, runResult } from './result.ts';
import {
  describeMissing,
  duration,
  fitBudget,
  missingRuns,
  type Plan,
  parseStored,
  pendingRuns,
  plannedRuns,
  type RunKey,
  resumeProblems,
  runKey,
  runSeconds,
  unionPlan,
  withRun,
} from './resume.ts';
import { codeRevision, type Revision } from './revision.ts';
import { type Arm, arms, meshYaml, type Scenario, scenarios } from './scenarios.ts';
import { type RunStack, startRunStack } from './stack.ts';
import { pollWeights } from './weights.ts';

const log = createLogger('bench-loop', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const progress = (line: string) => process.stderr.write(`[loop] ${line}\n`);
const until = (atMs: number) => sleep(Math.max(0, atMs - Date.now()));

/** Stops the run in progress (its stack, backends and generator). */
const cleanups = new Set<() => Promise<void>>();

/**
 * On the first SIGINT or SIGTERM: stop the run in progress and exit; completed runs are already
 * in the results. A second signal exits at once (Node's default, the handler being spent).
 */
function onInterrupt(json: string | undefined): () => void {
  const handler = (signal: NodeJS.Signals) => {
    progress(
      `${signal}: stopping the run in progress (its result is lost); the completed runs are in ${json ?? '(no --json)'}${json ? `, resume with --resume ${json}` : ''}`,
    );
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

async function measure(arm: Arm, scenario: Scenario, rep: number, o: Options): Promise<RunRaw> {
  const loadAverageBefore = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'meshgraph-bench-loop-'));
  const seed = o.seed + rep - 1;
  const here = import.meta.url;
  const backends = new Peer<ToBackends, FromBackends>('backends', new URL('./backends.ts', here));
  let load: Peer<ToLoad, FromLoad> | undefined;
  let stack: RunStack | undefined;
  const abort = new AbortController();
  let stopping: Promise<void> | undefined;
  // Idempotent: from the finally below, or from an interrupt (`meshgraph up` runs detached and
  // would outlive the driver, taking the machine from the next session).
  const cleanup = () => {
    stopping ??= (async () => {
      abort.abort();
      await load?.stop(10_000);
      await stack?.stop();
      await backends.stop();
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  cleanups.add(cleanup);
  try {
    const spec = { count: o.backends, medianMs: o.medianMs, sigma: o.sigma, seed };
    const ready = await backends.ask(
      { type: 'start', spec: { ...spec, workers: o.workers, queue: o.queue } },
      'ready',
    );
    const endpoints = ready.ports.map((port) => `127.0.0.1:${port}`);
    const faulty = 0;
    const faultyEndpoint = endpoints[faulty] as string;
    stack = await startRunStack({
      dir,
      log,
      yaml: (ports) =>
        meshYaml({
          arm,
          endpoints,
          listenerPort: ports.listener,
          collectorPort: ports.collector,
          timeoutMs: o.timeoutMs,
        }),
    });
    if (arm.oracle) await policyOff(stack);
    load = new Peer<ToLoad, FromLoad>('loadgen', new URL('./loadgen.ts', here));
    // Whole seconds, so per-second series line up with the phases.
    const startAtMs = Math.ceil(Date.now() / 1000) * 1000 + 2000;
    const p = phases(startAtMs, o.warmupS, o.phaseS, o.settleS);
    const durationMs = p.recovery[1] - startAtMs;
    await load.ask(
      {
        type: 'start',
        spec: {
          url: stack.listenerUrl,
          ratePerSecond: o.rate,
          seed,
          // Envoy's route timeout answers 504 first; this only catches a proxy that hangs.
          timeoutMs: o.timeoutMs + 500,
          startAtMs,
          durationMs,
        },
      },
      'started',
    );
    const done = load.next('done', durationMs + 120_000);
    done.catch(() => {}); // awaited below; a failure before that must not go unhandled
    const ports = { xdsAdmin: stack.xdsAdminPort, envoyAdmin: stack.envoyAdminPort };
    const polling = pollWeights(faultyEndpoint, ports, p.recovery[1], abort.signal);
    const { fault } = scenario;
    if (fault) {
      await until(p.fault[0]);
      const switchTo = (on: boolean, at: RunStack) =>
        Promise.all([
          backends.ask({ type: 'fault', index: faulty, fault: on ? fault : {} }, 'fault-set'),
          arm.oracle ? oracle(at, faultyEndpoint, on) : undefined,
        ]);
      await switchTo(true, stack);
      await until(p.recovery[0]);
      await switchTo(false, stack);
    }
    const weights = await polling;
    const { summary, columns } = await done;
    const report = await backends.ask({ type: 'report' }, 'report');
    return {
      arm: arm.name,
      scenario: scenario.name,
      rep,
      seed,
      phases: p,
      columns,
      arrivals: report.arrivals,
      faulty,
      weights,
      generator: summary,
      backends: report.counters,
      loadAverageBefore,
    };
  } finally {
    await cleanup();
    cleanups.delete(cleanup);
  }
}

/** Writes `text` to `path` atomically (temporary file + rename): a reader never sees half. */
function write(path: string | undefined, text: string): void {
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

const ms = (x: number) => (Number.isFinite(x) ? Math.round(x) : '—');
const line = (r: RunResult, tookS: number) => {
  const w = r.phases.faultLate;
  return `rep ${r.rep} ${r.scenario} ${r.arm}: fault-late p50/p99/p999 ${ms(w.p50Ms)}/${ms(w.p99Ms)}/${ms(w.p999Ms)} ms, errors ${(w.errorRate * 100).toFixed(2)}%, timeouts ${w.timeouts}; mitigated ${r.timeToMitigateS ?? 'never'} s, flips ${r.flips.total}, send lag max ${ms(r.generator.maxSendLagMs)} ms (${tookS} s)`;
};

/** The results at `path` when resuming (checked against this run), else none. */
function loadStored(
  o: Options,
  current: { revision: Revision; machine: MachineInfo },
): { stored: Report | undefined; forced: string[] } {
  if (!o.resume) {
    // Without --resume, an unfinished file would be overwritten: hours of runs lost.
    if (o.json && !o.plan && existsSync(o.json)) {
      let unfinished = false;
      try {
        const old = JSON.parse(readFileSync(o.json, 'utf8')) as Partial<Report>;
        unfinished = old.complete === false && (old.runs?.length ?? 0) > 0;
      } catch {}
      if (unfinished)
        throw new Error(
          `${o.json} holds unfinished results: continue them with --resume ${o.json}, or move the file away to start over`,
        );
    }
    return { stored: undefined, forced: [] };
  }
  if (!existsSync(o.resume)) {
    progress(`--resume ${o.resume}: no results there yet, starting them`);
    return { stored: undefined, forced: [] };
  }
  const stored = parseStored(readFileSync(o.resume, 'utf8'), o.resume);
  const problems = resumeProblems(stored, { options: o, ...current });
  if (problems.length && !o.resumeForce)
    throw new Error(
      `cannot resume ${o.resume}: its runs were measured differently:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        `Its runs would not be comparable with new ones. Start a new file (--json PATH, or move ${o.resume} away), ` +
        'or pass --resume-force to mix them anyway (the report then says what differed).',
    );
  for (const p of problems) progress(`--resume-force: mixing despite ${p}`);
  return { stored, forced: problems };
}

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
  const { stored, forced } = loadStored(options, { revision, machine });
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
  const release = onInterrupt(json);
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
