/** Command-line options of the loop benchmark (pure parsing: unit-tested). */

import { parseArgs } from 'node:util';
import { arms, pick, scenarios } from './scenarios.ts';

export interface Options {
  readonly phaseS: number;
  readonly warmupS: number;
  readonly settleS: number;
  readonly reps: number;
  readonly scenarios: string[];
  readonly arms: string[];
  readonly rate: number;
  readonly backends: number;
  readonly timeoutMs: number;
  readonly medianMs: number;
  readonly sigma: number;
  readonly workers: number;
  readonly queue: number;
  readonly seed: number;
  readonly loopPeriodS: number;
  readonly json: string | undefined;
  readonly md: string | undefined;
  /** Results to continue (`--resume FILE`): their runs are kept, only missing ones are run. */
  readonly resume: string | undefined;
  /** Resume even though options, revision or machine differ (recorded in the report). */
  readonly resumeForce: boolean;
  /** Print the runs that would be run and the time they take; run nothing. */
  readonly plan: boolean;
  /** Start no run that would end after this many minutes from the start (a session's budget). */
  readonly maxMinutes: number | undefined;
  readonly help: boolean;
}

/** The options a report records (what was measured and planned, not where it was written). */
export type ReportOptions = Omit<
  Options,
  'json' | 'md' | 'resume' | 'resumeForce' | 'plan' | 'maxMinutes' | 'help'
>;

const allScenarios = scenarios.map((s) => s.name).join(',');
const allArms = arms.map((a) => a.name).join(',');

export const usage = `Usage: meshgraph bench loop [options]

The closed loop under faults: a real Envoy (--concurrency 1) balancing over backends (lognormal
service time, bounded workers and queue) under open-loop Poisson load, with the whole meshgraph
stack (meshgraph up) running in every arm. Each run: warm-up, then steady, fault (on backend b0)
and recovery phases. Reports per phase p50/p99/p999, error rate, timeouts; time to mitigate,
the faulty endpoint's share over time and weight flips. Method: bench/loop/README.md.

Scenarios: ${scenarios.map((s) => `${s.name} ${s.about}`).join('; ')}.
Arms: ${arms.map((a) => `${a.name} ${a.about}`).join('; ')}.

Options:
  --phase-seconds S    length of each of the three phases             (default 60)
  --warmup-seconds S   load before the steady phase, not reported      (default 10)
  --settle-seconds S   fault seconds left out of "fault-late"          (default 10)
  --reps N             repetitions of every arm × scenario             (default 3)
  --scenarios LIST     comma-separated                                 (default ${allScenarios})
  --arms LIST          comma-separated                                 (default ${allArms})
  --rate R             requests/s offered, Poisson, over all backends  (default 400)
  --backends N         backends (≥ 2)                                  (default 5)
  --timeout-ms MS      route timeout in Envoy: the client's deadline   (default 1500)
  --median-ms MS       backend service time median (lognormal)         (default 10)
  --sigma S            backend service time sigma of ln                (default 0.5)
  --workers N          backend worker pool                             (default 16)
  --queue N            backend queue; beyond it 503 at once            (default 64)
  --seed N             seed of repetition 1 (repetition k: seed + k-1) (default 1)
  --loop-period-seconds S  meshgraph's policy interval, for the target (default 1)
  --json PATH          raw figures  (default: the --resume FILE, else bench/results/loop.json;
                       '' = none); rewritten (atomically) after every run
  --md PATH            the table    (default: the JSON path with .md, else
                       bench/results/loop.md; '' = none); rewritten after every run
  --resume FILE        continue the results in FILE (the JSON): keep its runs, run only the
                       arm × scenario × repetition missing from --arms × --scenarios × --reps,
                       and write back to FILE. Refused when FILE was measured with other
                       options (phase, rate, backends, timeouts, seed…), another code revision
                       (bench/loop/revision.ts), uncommitted changes or another machine.
                       A FILE that does not exist yet is started.
  --resume-force       resume anyway (what differed is recorded in the report)
  --plan               print the runs that would be run and the time they take; run nothing
  --max-minutes M      start no run that would end more than M minutes after the start
                       (stop cleanly within a session; resume later)
  --help               this text

Accumulating the full run over several sessions: bench/loop/README.md ("Across sessions").
`;

function number(name: string, text: string, min: number, integer = true): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)))
    throw new Error(
      `--${name}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got '${text}'`,
    );
  return value;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function parseOptions(argv: readonly string[]): Options {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      'phase-seconds': { type: 'string', default: '60' },
      'warmup-seconds': { type: 'string', default: '10' },
      'settle-seconds': { type: 'string', default: '10' },
      reps: { type: 'string', default: '3' },
      scenarios: { type: 'string', default: allScenarios },
      arms: { type: 'string', default: allArms },
      rate: { type: 'string', default: '400' },
      backends: { type: 'string', default: '5' },
      'timeout-ms': { type: 'string', default: '1500' },
      'median-ms': { type: 'string', default: '10' },
      sigma: { type: 'string', default: '0.5' },
      workers: { type: 'string', default: '16' },
      queue: { type: 'string', default: '64' },
      seed: { type: 'string', default: '1' },
      // The policy job's default tick (stream-jobs/policy/options.ts intervalMs).
      'loop-period-seconds': { type: 'string', default: '1' },
      json: { type: 'string' },
      md: { type: 'string' },
      resume: { type: 'string' },
      'resume-force': { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
      'max-minutes': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const chosenScenarios = pick(scenarios, list(v.scenarios), 'scenario').map((s) => s.name);
  const chosenArms = pick(arms, list(v.arms), 'arm').map((a) => a.name);
  if (chosenScenarios.length === 0 || chosenArms.length === 0)
    throw new Error('--scenarios and --arms need at least one name each');
  if (v.resume === '') throw new Error('--resume: expected the results file (JSON)');
  const json = v.json === undefined ? (v.resume ?? 'bench/results/loop.json') : v.json || undefined;
  if (v.resume && !json)
    throw new Error(`--resume ${v.resume} writes back to the results: --json '' leaves nowhere`);
  const md =
    v.md === undefined
      ? json?.endsWith('.json')
        ? `${json.slice(0, -'.json'.length)}.md`
        : 'bench/results/loop.md'
      : v.md || undefined;
  return {
    phaseS: number('phase-seconds', v['phase-seconds'], 2),
    warmupS: number('warmup-seconds', v['warmup-seconds'], 0),
    settleS: number('settle-seconds', v['settle-seconds'], 0),
    reps: number('reps', v.reps, 1),
    scenarios: chosenScenarios,
    arms: chosenArms,
    rate: number('rate', v.rate, 1, false),
    backends: number('backends', v.backends, 2),
    timeoutMs: number('timeout-ms', v['timeout-ms'], 1),
    medianMs: number('median-ms', v['median-ms'], 0, false),
    sigma: number('sigma', v.sigma, 0, false),
    workers: number('workers', v.workers, 1),
    queue: number('queue', v.queue, 0),
    seed: number('seed', v.seed, 0),
    loopPeriodS: number('loop-period-seconds', v['loop-period-seconds'], 0, false),
    json,
    md,
    resume: v.resume,
    resumeForce: v['resume-force'],
    plan: v.plan,
    maxMinutes:
      v['max-minutes'] === undefined
        ? undefined
        : number('max-minutes', v['max-minutes'], 0, false),
    help: v.help,
  };
}
