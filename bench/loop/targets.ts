/** The targets for the loop benchmark: (d) meshgraph against (b) least_request (pure). */

import type { Aggregate } from './aggregate.ts';
import { fmt } from './format.ts';
import { scenarios } from './scenarios.ts';

export interface TargetCheck {
  readonly scenario: string;
  readonly target: string;
  readonly value: string;
  /** Undefined: cannot be judged (an arm missing, nothing to compare). */
  readonly met: boolean | undefined;
}

/** (d) against (b): the targets, on the pooled figures. */
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

export function targetsTable(checks: readonly TargetCheck[]): string {
  const mark = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : 'NOT met');
  if (checks.length === 0) return '(none: the targets compare arm d with arm b, in S0 and S1–S4)';
  return [
    '| scenario | target | value | |',
    '| --- | --- | --- | --- |',
    ...checks.map((c) => `| ${c.scenario} | ${c.target} | ${c.value} | ${mark(c.met)} |`),
  ].join('\n');
}
