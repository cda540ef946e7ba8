/** The loop benchmark's report: the JSON shape and its Markdown tables (pure). Targets: targets.ts. */

import type { MachineInfo } from '../xds-scale/machine.ts';
import type { Aggregate, Range } from './aggregate.ts';
import { fmt } from './format.ts';
import type { PhaseName } from './metrics.ts';
import type { ReportOptions } from './options.ts';
import type { RunResult } from './result.ts';
import { describeMissing, type RunKey } from './resume.ts';
import type { Revision } from './revision.ts';
import { arms, scenarios } from './scenarios.ts';
import { targets, targetsTable } from './targets.ts';

/** One invocation that added runs to the results (`--resume` adds one per session). */
export interface Session {
  readonly date: string;
  readonly command: string;
  /** The revision's tree (revision.ts) and HEAD it ran on. */
  readonly revision: string;
  readonly commit: string | null;
  /** Runs it measured (so far, while it runs). */
  readonly runs: number;
  /** What differed from the resumed file when `--resume-force` overrode the check. */
  readonly forced?: readonly string[];
}

export interface Report {
  readonly benchmark: 'loop';
  /** When the first session started. */
  readonly date: string;
  /** The first session's command (every session's: `sessions`). */
  readonly command: string;
  readonly machine: MachineInfo;
  /** What was measured; `arms`, `scenarios` and `reps` are the plan (every session's together). */
  readonly options: ReportOptions;
  /** The code revision of the runs (revision.ts); absent in results older than `--resume`. */
  readonly revision?: Revision;
  readonly sessions?: readonly Session[];
  /** True when every planned arm × scenario × repetition has a run. */
  readonly complete: boolean;
  /** The planned runs without a result, `arm:scenario:rep`. */
  readonly missing?: readonly string[];
  readonly aggregates: readonly Aggregate[];
  readonly runs: readonly RunResult[];
}

const percent = (x: number, digits = 1) => `${fmt(x * 100, digits)}`;

/** A median over repetitions with its min–max, once there are two or more. */
const spread = (
  value: number,
  [min, max]: Range,
  reps: number,
  show: (x: number) => string = (x) => fmt(x),
) => (reps >= 2 && min !== max ? `${show(value)} (${show(min)}–${show(max)})` : show(value));

const rowPhases: readonly [PhaseName, string][] = [
  ['steady', 'steady'],
  ['fault', 'fault'],
  ['faultLate', 'fault-late'],
  ['recovery', 'recovery'],
];

/** Mean of each `size`-second bucket of a per-second series, as whole percent. */
export function buckets(series: readonly number[], size: number): string {
  const out: string[] = [];
  for (let i = 0; i < series.length; i += size) {
    const chunk = series.slice(i, i + size).filter(Number.isFinite);
    out.push(chunk.length ? fmt((chunk.reduce((a, b) => a + b, 0) / chunk.length) * 100) : '—');
  }
  return out.join(' ');
}

function scenarioSection(name: string, aggregates: readonly Aggregate[], phaseS: number): string {
  const scenario = scenarios.find((s) => s.name === name);
  const rows = arms.flatMap((arm) => {
    const a = aggregates.find((x) => x.arm === arm.name && x.scenario === name);
    return a ? [{ arm, a }] : [];
  });
  const latency = rows.flatMap(({ arm, a }) =>
    rowPhases.map(([phase, label]) => {
      const [w, r, n] = [a.phases[phase], a.spread[phase], a.reps];
      return `| ${arm.name} | ${label} | ${spread(w.p50Ms, r.p50Ms, n, (x) => fmt(x, 1))} | ${spread(w.p99Ms, r.p99Ms, n)} | ${spread(w.p999Ms, r.p999Ms, n)} | ${percent(w.errorRate, 2)} | ${w.timeouts} | ${w.requests} |`;
    }),
  );
  const loop = rows.map(({ arm, a }) => {
    const [lo, hi] = a.timeToMitigateRange;
    const inf = (x: number | null) => x ?? Number.POSITIVE_INFINITY;
    const ttm = spread(inf(a.timeToMitigateS), [inf(lo), inf(hi)], a.reps, (x) =>
      x === Number.POSITIVE_INFINITY ? '—' : fmt(x),
    );
    return `| ${arm.name} | ${a.reps} | ${ttm} | ${fmt(a.firstBelowS)} | ${fmt(a.timeToRestoreS)} | ${percent(a.faultyShareMean.steady)} / ${percent(a.faultyShareMean.faultLate)} / ${percent(a.faultyShareMean.recovery)} | ${fmt(a.flipsMedian)} | ${a.recoveryFlipsMax} |`;
  });
  const size = Math.max(1, Math.round(phaseS / 12));
  const share = rows.map(({ arm, a }) => {
    const part = (k: number) => buckets(a.faultyShare.slice(k * phaseS, (k + 1) * phaseS), size);
    return `| ${arm.name} | ${part(0)} | ${part(1)} | ${part(2)} |`;
  });
  return [
    `## ${name}: ${scenario?.about ?? ''}`,
    '',
    '| arm | phase | p50 ms | p99 ms | p999 ms | errors % | timeouts | requests |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...latency,
    '',
    '| arm | reps | time to mitigate s | first < 5% s | time to restore s | faulty share % steady / fault-late / recovery | weight flips (median) | recovery flips (max) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...loop,
    '',
    `Faulty endpoint's share of requests, % (mean of each ${size} s):`,
    '',
    '| arm | steady | fault | recovery |',
    '| --- | --- | --- | --- |',
    ...share,
    '',
  ].join('\n');
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`;
}

function loadRange(runs: readonly RunResult[]): string {
  const loads = runs.map((r) => r.loadAverageBefore).filter((x): x is number => x !== null);
  return loads.length ? `${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)}` : '—';
}

/** The planned runs without a result, from `missing` (`arm:scenario:rep`). */
function missingKeys(report: Report): RunKey[] {
  return (report.missing ?? []).map((k) => {
    const [arm = '', scenario = '', rep = '0'] = k.split(':');
    return { arm, scenario, rep: Number(rep) };
  });
}

function revisionLine(r: Revision | undefined): string {
  if (!r) return '- code revision: not recorded (results from before `--resume`)';
  const commit = r.commit ? `, HEAD ${r.commit.slice(0, 12)}` : '';
  if (r.tree === 'dirty')
    return `- code revision: **dirty** (uncommitted changes in ${r.dirty.join(', ')}${commit}): these results cannot be resumed or reproduced`;
  return `- code revision: ${r.tree}${commit} (hash of the paths in bench/loop/revision.ts)`;
}

function sessionLines(report: Report): string[] {
  const sessions = report.sessions ?? [];
  if (sessions.length <= 1) return [];
  return [
    `- sessions (${sessions.length}, accumulated with \`--resume\`):`,
    ...sessions.map(
      (s) =>
        `  - ${s.date}: ${s.runs} run(s), revision ${s.revision}, \`${s.command}\`${s.forced?.length ? ` — **resumed with --resume-force** despite: ${s.forced.join('; ')}` : ''}`,
    ),
  ];
}

export function markdown(report: Report): string {
  const o = report.options;
  const armList = arms.filter((a) => o.arms.includes(a.name));
  const missing = missingKeys(report);
  const planned = o.reps * o.arms.length * o.scenarios.length;
  const sessions = report.sessions ?? [];
  const forcedOnce = sessions.length === 1 && sessions[0]?.forced?.length;
  const status = report.complete
    ? ''
    : ` (incomplete: ${planned - missing.length} of ${planned} runs; missing below)`;
  return [
    '# loop benchmark',
    '',
    `- machine: ${machineLine(report.machine)}`,
    // Accumulated results: the session list names every command; one "command" would mislead.
    ...(sessions.length > 1
      ? [`- dates: ${sessions[0]?.date} to ${sessions.at(-1)?.date}${status}`]
      : [`- command: \`${report.command}\``, `- date: ${report.date}${status}`]),
    revisionLine(report.revision),
    ...sessionLines(report),
    ...(forcedOnce
      ? [`- **resumed with --resume-force** despite: ${report.sessions?.[0]?.forced?.join('; ')}`]
      : []),
    `- load: ${o.rate} req/s open-loop Poisson (latency from the intended send time), through one Envoy (\`--concurrency 1\`, route timeout ${o.timeoutMs} ms, no retries) to ${o.backends} backends (lognormal service time, median ${o.medianMs} ms, σ ${o.sigma}; ${o.workers} workers, queue ${o.queue}); the whole meshgraph stack (\`meshgraph up\`) runs in every arm.`,
    `- each run: ${o.warmupS} s warm-up, then ${o.phaseS} s steady, ${o.phaseS} s fault on b0, ${o.phaseS} s recovery; fault-late = the fault phase without its first ${Math.min(o.settleS, o.phaseS / 2)} s; ${o.reps} repetition(s). Across repetitions: requests, errors and timeouts summed; p50/p99/p999 and time to mitigate the median of the repetitions' (min–max in brackets when they differ). Method and definitions: [bench/loop/README.md](../loop/README.md).`,
    `- load average (1 min) before the runs: ${loadRange(report.runs)}; the machine is shared, compare arms within this run.`,
    `- arms: ${armList.map((a) => `**${a.name}** ${a.about}`).join('; ')}.`,
    '',
    '## Targets ((d) meshgraph against (b) least_request)',
    '',
    targetsTable(targets(report.aggregates, o.loopPeriodS)),
    '',
    ...(missing.length
      ? [
          '## Missing runs',
          '',
          `${missing.length} of ${planned} planned runs (arm × scenario × repetition) have no result yet; the figures above and below are over the repetitions there are (column "reps"). Resume with \`--resume\` (bench/loop/README.md).`,
          '',
          ...describeMissing(missing, o).map((l) => `- ${l}`),
          '',
        ]
      : []),
    ...o.scenarios.map((s) => scenarioSection(s, report.aggregates, o.phaseS)),
  ].join('\n');
}

/** JSON with two-space indents, but arrays of numbers on one line (per-second series). */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[[\d\s.,eE+\-null]*\]/g, (array) =>
    array.replace(/\s+/g, ' ').replace('[ ', '[').replace(/ \]$/, ']'),
  );
}
