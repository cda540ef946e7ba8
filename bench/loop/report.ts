/** The loop benchmark's report: the Markdown tables and the target checks (pure). */

import type { MachineInfo } from '../xds-scale/machine.ts';
import type { PhaseName } from './metrics.ts';
import type { Options } from './options.ts';
import type { Aggregate, RunResult } from './result.ts';
import { arms, scenarios } from './scenarios.ts';

export interface Report {
  readonly benchmark: 'loop';
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly options: Omit<Options, 'json' | 'md' | 'help'>;
  /** False while the run is still going (the JSON is rewritten after every run). */
  readonly complete: boolean;
  readonly aggregates: readonly Aggregate[];
  readonly runs: readonly RunResult[];
}

export interface TargetCheck {
  readonly scenario: string;
  readonly target: string;
  readonly value: string;
  /** Undefined: cannot be judged (an arm missing, nothing to compare). */
  readonly met: boolean | undefined;
}

const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '—'
    : x === Number.POSITIVE_INFINITY
      ? '∞'
      : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const percent = (x: number, digits = 1) => `${fmt(x * 100, digits)}`;

/** (d) against (b): the issue's targets, on the pooled figures. */
export function targets(aggregates: readonly Aggregate[], loopPeriodS: number): TargetCheck[] {
  const find = (arm: string, scenario: string) =>
    aggregates.find((a) => a.arm === arm && a.scenario === scenario);
  const checks: TargetCheck[] = [];
  for (const { name: scenario } of scenarios) {
    const b = find('b', scenario);
    const d = find('d', scenario);
    if (d && scenario !== 'S0') {
      const ttm = d.timeToMitigateS;
      checks.push({
        scenario,
        target: `(d) mitigated within 3 loop periods (${3 * loopPeriodS} s)`,
        value: ttm === null ? 'never' : `${ttm} s`,
        met: ttm !== null && ttm <= 3 * loopPeriodS,
      });
      checks.push({
        scenario,
        target: '(d) at most one overshoot (weight reversal) after recovery',
        value: `${d.recoveryFlipsMax} (worst repetition)`,
        met: d.recoveryFlipsMax <= 1,
      });
    }
    if (!b || !d) continue;
    if (scenario === 'S0') {
      for (const q of ['p50Ms', 'p99Ms'] as const) {
        const r = d.phases.run[q] / b.phases.run[q];
        checks.push({
          scenario,
          target: `(d) ${q.slice(0, -2)} within ±5% of (b), whole run`,
          value: `${fmt((r - 1) * 100, 1)}%`,
          met: Math.abs(r - 1) <= 0.05,
        });
      }
    }
    if (!['S2', 'S3', 'S4'].includes(scenario)) continue;
    const [bl, dl] = [b.phases.faultLate, d.phases.faultLate];
    checks.push({
      scenario,
      target: '(d) p999 ≥ 2× lower than (b), fault-late',
      value: `${fmt(bl.p999Ms / dl.p999Ms, 2)}×`,
      met: bl.p999Ms / dl.p999Ms >= 2,
    });
    checks.push({
      scenario,
      target: '(d) p99 ≥ 30% lower than (b), fault-late',
      value: `${fmt((1 - dl.p99Ms / bl.p99Ms) * 100, 1)}% lower`,
      met: 1 - dl.p99Ms / bl.p99Ms >= 0.3,
    });
    checks.push({
      scenario,
      target: '(d) timeouts ≥ 5× fewer than (b), fault-late',
      value: `${bl.timeouts} vs ${dl.timeouts}`,
      met: bl.timeouts === 0 ? undefined : bl.timeouts >= 5 * dl.timeouts,
    });
  }
  return checks;
}

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
      const w = a.phases[phase];
      return `| ${arm.name} | ${label} | ${fmt(w.p50Ms, 1)} | ${fmt(w.p99Ms)} | ${fmt(w.p999Ms)} | ${percent(w.errorRate, 2)} | ${w.timeouts} | ${w.requests} |`;
    }),
  );
  const loop = rows.map(
    ({ arm, a }) =>
      `| ${arm.name} | ${fmt(a.timeToMitigateS)} | ${fmt(a.firstBelowS)} | ${fmt(a.timeToRestoreS)} | ${percent(a.faultyShareMean.steady)} / ${percent(a.faultyShareMean.faultLate)} / ${percent(a.faultyShareMean.recovery)} | ${fmt(a.flipsMedian)} | ${a.recoveryFlipsMax} |`,
  );
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
    '| arm | time to mitigate s | first < 5% s | time to restore s | faulty share % steady / fault-late / recovery | weight flips (median) | recovery flips (max) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
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

export function targetsTable(checks: readonly TargetCheck[]): string {
  const mark = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : 'NOT met');
  if (checks.length === 0) return '(none: the targets compare arm d with arm b, in S0 and S1–S4)';
  return [
    '| scenario | target | value | |',
    '| --- | --- | --- | --- |',
    ...checks.map((c) => `| ${c.scenario} | ${c.target} | ${c.value} | ${mark(c.met)} |`),
  ].join('\n');
}

function loadRange(runs: readonly RunResult[]): string {
  const loads = runs.map((r) => r.loadAverageBefore).filter((x): x is number => x !== null);
  return loads.length ? `${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)}` : '—';
}

export function markdown(report: Report): string {
  const o = report.options;
  const armList = arms.filter((a) => o.arms.includes(a.name));
  return [
    '# loop benchmark',
    '',
    `- machine: ${machineLine(report.machine)}`,
    `- command: \`${report.command}\``,
    `- date: ${report.date}${report.complete ? '' : ' (incomplete: the run has not finished)'}`,
    `- load: ${o.rate} req/s open-loop Poisson (latency from the intended send time), through one Envoy (\`--concurrency 1\`, route timeout ${o.timeoutMs} ms, no retries) to ${o.backends} backends (lognormal service time, median ${o.medianMs} ms, σ ${o.sigma}; ${o.workers} workers, queue ${o.queue}); the whole meshgraph stack (\`meshgraph up\`) runs in every arm.`,
    `- each run: ${o.warmupS} s warm-up, then ${o.phaseS} s steady, ${o.phaseS} s fault on b0, ${o.phaseS} s recovery; fault-late = the fault phase without its first ${Math.min(o.settleS, o.phaseS / 2)} s; ${o.reps} repetition(s), quantiles pooled over them. Method and definitions: [bench/loop/README.md](../loop/README.md).`,
    `- load average (1 min) before the runs: ${loadRange(report.runs)}; the machine is shared, compare arms within this run.`,
    `- arms: ${armList.map((a) => `**${a.name}** ${a.about}`).join('; ')}.`,
    '',
    '## Targets ((d) meshgraph against (b) least_request)',
    '',
    targetsTable(targets(report.aggregates, o.loopPeriodS)),
    '',
    ...o.scenarios.map((s) => scenarioSection(s, report.aggregates, o.phaseS)),
  ].join('\n');
}

/** JSON with two-space indents, but arrays of numbers on one line (per-second series). */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[[\d\s.,eE+\-null]*\]/g, (array) =>
    array.replace(/\s+/g, ' ').replace('[ ', '[').replace(/ \]$/, ']'),
  );
}
