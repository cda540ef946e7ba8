/**
 * Accumulating bench/loop across sessions (`--resume`), without the stack: which runs are
 * skipped or measured again, why a file is refused (naming the field), what the report lists
 * as missing, the aggregate over repetitions (median and min–max), the code revision, and the
 * session estimate.
 */

import { describe, expect, it } from 'vitest';
import { aggregate } from '../../bench/loop/aggregate.ts';
import type { PhaseName } from '../../bench/loop/metrics.ts';
import { parseOptions } from '../../bench/loop/options.ts';
import { markdown, type Report } from '../../bench/loop/report.ts';
import type { RunResult } from '../../bench/loop/result.ts';
import {
  describeMissing,
  duration,
  fitBudget,
  missingRuns,
  type Plan,
  parseStored,
  pendingRuns,
  plannedRuns,
  resumeProblems,
  runKey,
  runSeconds,
  unionPlan,
  withRun,
} from '../../bench/loop/resume.ts';
import { type Revision, revisionOf } from '../../bench/loop/revision.ts';
import type { WindowSummary } from '../../demo/load/recorder.ts';

const window = (p99Ms: number, timeouts = 0, requests = 1000): WindowSummary => ({
  requests,
  errors: timeouts,
  errorRate: timeouts / requests,
  timeouts,
  meanMs: 12,
  p50Ms: 10,
  p99Ms,
  p999Ms: p99Ms * 2,
  maxMs: p99Ms * 3,
});

const phaseNames: PhaseName[] = ['steady', 'fault', 'faultLate', 'recovery', 'run'];

function run(
  arm: string,
  scenario: string,
  rep: number,
  extra: {
    p99?: number;
    timeouts?: number;
    ttm?: number | null;
    revision?: string;
    tookS?: number;
  } = {},
): RunResult {
  const w = window(extra.p99 ?? 30, extra.timeouts ?? 0);
  return {
    arm,
    scenario,
    rep,
    seed: rep,
    phases: Object.fromEntries(phaseNames.map((p) => [p, w])) as RunResult['phases'],
    timeToMitigateS: extra.ttm === undefined ? 2 : extra.ttm,
    firstBelowS: 1,
    timeToRestoreS: 0,
    flips: { total: 1, steady: 0, fault: 0, recovery: rep - 1 },
    weightChanges: 2,
    faultyShare: [0.2, 0.2, 0, 0, 0.2, 0.2],
    faultyShareMean: { steady: 0.2, fault: 0, faultLate: 0, recovery: 0.2, run: 0.13 },
    latencyPerSecond: { p50: [], p99: [] },
    effectiveWeight: [],
    routingWeight: [],
    generator: { sent: 1, answered: 1, failed: 0, maxSendLagMs: 1, maxInFlight: 1 },
    backends: [],
    loadAverageBefore: 0.5,
    revision: extra.revision ?? 'aaaaaaaaaaaa',
    ...(extra.tookS === undefined ? {} : { tookS: extra.tookS }),
  };
}

const revision = (tree: string, paths: Record<string, string> = {}): Revision => ({
  tree,
  commit: `${tree}0000`,
  paths,
  dirty: tree === 'dirty' ? ['xds-server/start.ts'] : [],
});
const machine = { cpu: 'AMD EPYC', cores: 2, memoryGiB: 23.5, node: 'v20.20.2', os: 'linux' };

describe('plan, skip and merge', () => {
  const plan: Plan = { arms: ['e', 'b'], scenarios: ['S3', 'S1'], reps: 2 };

  it('runs in order: repetition, then scenario, then arm (canonical orders)', () => {
    expect(plannedRuns(plan).map(runKey)).toEqual([
      'b:S1:1',
      'e:S1:1',
      'b:S3:1',
      'e:S3:1',
      'b:S1:2',
      'e:S1:2',
      'b:S3:2',
      'e:S3:2',
    ]);
  });

  it("skips runs present on this revision; measures again another revision's unless forced", () => {
    const stored = [
      run('b', 'S1', 1),
      run('e', 'S1', 1),
      run('b', 'S3', 1, { revision: 'bbbbbbbbbbbb' }),
      run('a', 'S0', 1), // outside the selection: kept, not a reason to run anything
    ];
    const pending = pendingRuns(plan, stored, 'aaaaaaaaaaaa', false).map(runKey);
    expect(pending).toEqual(['b:S3:1', 'e:S3:1', 'b:S1:2', 'e:S1:2', 'b:S3:2', 'e:S3:2']);
    expect(pendingRuns(plan, stored, 'aaaaaaaaaaaa', true).map(runKey)).toEqual(
      pending.filter((k) => k !== 'b:S3:1'),
    );
    // A run without a revision (results from before --resume) is never taken as this one's.
    const { revision: _, ...old } = run('b', 'S1', 1);
    expect(pendingRuns(plan, [old], 'aaaaaaaaaaaa', false).map(runKey)).toContain('b:S1:1');
    expect(pendingRuns(plan, [old], 'aaaaaaaaaaaa', true).map(runKey)).not.toContain('b:S1:1');
  });

  it('a run measured again replaces the old one; the plan is the union of sessions', () => {
    const runs = withRun([run('b', 'S1', 1, { p99: 99 }), run('e', 'S1', 1)], run('b', 'S1', 1));
    expect(runs.map((r) => [runKey(r), r.phases.run.p99Ms])).toEqual([
      ['e:S1:1', 30],
      ['b:S1:1', 30],
    ]);
    expect(unionPlan(plan, { arms: ['d', 'a'], scenarios: ['S0'], reps: 1 })).toEqual({
      arms: ['a', 'b', 'd', 'e'],
      scenarios: ['S0', 'S1', 'S3'],
      reps: 2,
    });
  });

  it('what is missing, per repetition and scenario', () => {
    const missing = missingRuns(plan, [run('b', 'S1', 1), run('e', 'S1', 1), run('b', 'S3', 2)]);
    expect(missing.map(runKey)).toEqual(['b:S3:1', 'e:S3:1', 'b:S1:2', 'e:S1:2', 'e:S3:2']);
    expect(describeMissing(missing, plan)).toEqual([
      'rep 1 S3: b, e (all arms)',
      'rep 2 S1: b, e (all arms)',
      'rep 2 S3: e',
    ]);
    expect(missingRuns(plan, plannedRuns(plan))).toEqual([]);
  });
});

describe('refusing to resume', () => {
  const options = parseOptions(['--resume', '/tmp/loop.json']);
  const stored = {
    options: parseOptions([]),
    machine,
    revision: revision('aaaaaaaaaaaa', { 'bench/loop': '111', 'xds-server': '222' }),
  };
  const same = { options, machine, revision: stored.revision };

  it('nothing differs: no problem (reps, arms, scenarios and the target period may)', () => {
    expect(resumeProblems(stored, same)).toEqual([]);
    const other = parseOptions(['--reps', '5', '--arms', 'b,d', '--loop-period-seconds', '2']);
    expect(resumeProblems(stored, { ...same, options: other })).toEqual([]);
  });

  it('an option that changes the measurement is named, with both values', () => {
    const other = parseOptions(['--phase-seconds', '40', '--rate', '300']);
    expect(resumeProblems(stored, { ...same, options: other })).toEqual([
      'option phaseS: the file has 60, this run 40',
      'option rate: the file has 400, this run 300',
    ]);
    expect(resumeProblems(stored, { ...same, machine: { ...machine, cores: 4 } })).toEqual([
      'machine cores: the file has 2, this one 4',
    ]);
  });

  it('another revision names the paths that changed; dirty or missing revisions refuse', () => {
    const now = revision('cccccccccccc', { 'bench/loop': '111', 'xds-server': '333' });
    const [problem] = resumeProblems(stored, { ...same, revision: now });
    expect(problem).toMatch(/^revision: the file's is aaaaaaaaaaaa .* this one cccccccccccc/);
    expect(problem).toMatch(/changed since: xds-server$/);
    expect(resumeProblems({ ...stored, revision: revision('dirty') }, same)).toEqual([
      "revision: the file's runs were measured with uncommitted changes (xds-server/start.ts): no commit reproduces them",
    ]);
    expect(resumeProblems(stored, { ...same, revision: revision('dirty') })[0]).toMatch(
      /uncommitted changes here in xds-server\/start.ts: commit them first/,
    );
    expect(resumeProblems({ options: stored.options, machine }, same)).toEqual([
      'revision: the file records none (measured before --resume existed)',
    ]);
  });

  it('a file that is not loop results is refused with its path', () => {
    expect(() => parseStored('{', 'x.json')).toThrow(/--resume x.json: not JSON/);
    expect(() => parseStored('{"benchmark":"graph"}', 'x.json')).toThrow(/not the results/);
    expect(parseStored('{"benchmark":"loop","runs":[],"options":{}}', 'x.json').runs).toEqual([]);
  });
});

describe('code revision (pure part)', () => {
  const listing = (blob: string) =>
    `100644 blob ${blob}\tbench/loop/run.ts\n100644 blob 0123\tbench/loop/README.md\n`;

  it('the same files give the same tree; documentation does not count; a change names its path', () => {
    const a = revisionOf({ 'bench/loop': listing('aa'), 'xds-server': '' }, [], 'c1');
    const b = revisionOf(
      { 'bench/loop': listing('aa').replace('0123', '4567'), 'xds-server': '' },
      [''],
      'c2',
    );
    expect(a.tree).toMatch(/^[0-9a-f]{12}$/);
    expect(b.tree).toBe(a.tree);
    expect(a.paths['xds-server']).toBe('absent');
    const c = revisionOf({ 'bench/loop': listing('bb'), 'xds-server': '' }, [], 'c3');
    expect(c.tree).not.toBe(a.tree);
    expect(c.paths['xds-server']).toBe(a.paths['xds-server']);
    expect(c.paths['bench/loop']).not.toBe(a.paths['bench/loop']);
  });

  it('uncommitted changes (modified, untracked, renamed) make it dirty; README edits do not', () => {
    const listings = { 'bench/loop': listing('aa') };
    expect(revisionOf(listings, [' M bench/loop/README.md'], null).tree).not.toBe('dirty');
    const dirty = revisionOf(
      listings,
      [' M bench/loop/run.ts', '?? bench/loop/new.ts', 'R  bench/loop/a.ts -> bench/loop/b.ts'],
      null,
    );
    expect(dirty.tree).toBe('dirty');
    expect(dirty.dirty).toEqual(['bench/loop/b.ts', 'bench/loop/new.ts', 'bench/loop/run.ts']);
  });
});

describe('aggregate across repetitions', () => {
  it('quantiles: median of the repetitions, with min–max; counts summed', () => {
    const a = aggregate([
      run('d', 'S2', 1, { p99: 40, timeouts: 2 }),
      run('d', 'S2', 3, { p99: 30, timeouts: 0 }),
      run('d', 'S2', 2, { p99: 100, timeouts: 1 }),
    ]);
    expect(a.reps).toBe(3);
    expect(a.repList).toEqual([1, 2, 3]);
    expect(a.phases.faultLate).toMatchObject({
      requests: 3000,
      timeouts: 3,
      errors: 3,
      errorRate: 0.001,
      meanMs: 12,
      p50Ms: 10,
      p99Ms: 40,
      p999Ms: 80,
      maxMs: 300,
    });
    expect(a.spread.faultLate).toEqual({
      p50Ms: [10, 10],
      p99Ms: [30, 100],
      p999Ms: [60, 200],
      errorRate: [0, 0.002],
      timeouts: [0, 2],
    });
    expect(a.recoveryFlipsMax).toBe(2);
  });

  it('time to mitigate: a repetition that never mitigated counts as ∞', () => {
    const [r1, r2, r3] = [
      run('d', 'S2', 1, { ttm: 2 }),
      run('d', 'S2', 2, { ttm: null }),
      run('d', 'S2', 3, { ttm: 4 }),
    ];
    expect(aggregate([r1, r2, r3])).toMatchObject({
      timeToMitigateS: 4,
      timeToMitigateRange: [2, null],
    });
    expect(aggregate([r2, { ...r2, rep: 3 }, r1]).timeToMitigateS).toBeNull();
    expect(() => aggregate([r1, run('b', 'S2', 1)])).toThrow(/different arms/);
  });
});

describe('the report of partial results', () => {
  const options = { ...parseOptions(['--arms', 'b,d', '--scenarios', 'S2']), reps: 3 };
  const runs = [
    run('b', 'S2', 1, { p99: 300 }),
    run('d', 'S2', 1, { p99: 31 }),
    run('b', 'S2', 2, { p99: 320 }),
    run('d', 'S2', 2, { p99: 36 }),
  ];
  const plan: Plan = options;
  const missing = missingRuns(plan, runs).map(runKey);
  const report: Report = {
    benchmark: 'loop',
    date: '2026-01-01T00:00:00.000Z',
    command: 'meshgraph bench loop --resume bench/results/loop.json',
    machine,
    options,
    revision: revision('aaaaaaaaaaaa'),
    sessions: [
      {
        date: '2026-01-01T00:00:00.000Z',
        command: 'one',
        revision: 'aaaaaaaaaaaa',
        commit: null,
        runs: 2,
      },
      {
        date: '2026-01-02T00:00:00.000Z',
        command: 'two',
        revision: 'aaaaaaaaaaaa',
        commit: null,
        runs: 2,
      },
    ],
    complete: false,
    missing,
    aggregates: [
      aggregate(runs.filter((r) => r.arm === 'b')),
      aggregate(runs.filter((r) => r.arm === 'd')),
    ],
    runs,
  };
  const md = markdown(report);

  it('says it is incomplete and lists what is missing', () => {
    expect(missing).toEqual(['b:S2:3', 'd:S2:3']);
    expect(md).toContain(
      '- dates: 2026-01-01T00:00:00.000Z to 2026-01-02T00:00:00.000Z (incomplete: 4 of 6 runs; missing below)',
    );
    expect(md).not.toContain('- command:');
    expect(md).toContain('## Missing runs');
    expect(md).toContain('- rep 3 S2: b, d (all arms)');
    expect(md).toContain('- sessions (2, accumulated with `--resume`):');
    expect(md).toContain('- code revision: aaaaaaaaaaaa');
  });

  it('shows the median of the repetitions with min–max, and how many', () => {
    // Two repetitions: the median is their mean.
    expect(md).toContain('| d | fault-late | 10.0 | 34 (31–36) | 67 (62–72) | 0.00 | 0 | 2000 |');
    expect(md).toMatch(/\| d \| 2 \| 2 \| 1 \| 0 \|/);
    const complete = markdown({ ...report, complete: true, missing: [] });
    expect(complete).not.toContain('Missing runs');
    expect(complete).not.toContain('incomplete');
  });
});

describe('options and the session estimate', () => {
  it('--resume FILE writes back to FILE and its .md unless told otherwise', () => {
    expect(parseOptions(['--resume', 'r/x.json'])).toMatchObject({
      resume: 'r/x.json',
      json: 'r/x.json',
      md: 'r/x.md',
      resumeForce: false,
      plan: false,
    });
    expect(parseOptions(['--resume', 'r/x.json', '--md', ''])).toMatchObject({ md: undefined });
    expect(parseOptions([])).toMatchObject({
      json: 'bench/results/loop.json',
      md: 'bench/results/loop.md',
    });
    expect(() => parseOptions(['--resume', 'x.json', '--json', ''])).toThrow(/nowhere/);
    expect(parseOptions(['--plan', '--max-minutes', '170'])).toMatchObject({
      plan: true,
      maxMinutes: 170,
    });
    expect(() => parseOptions(['--max-minutes', 'x'])).toThrow(/--max-minutes/);
  });

  it('a run is warm-up + 3 phases + overhead (measured when the runs have it)', () => {
    const o = { phaseS: 60, warmupS: 10 };
    expect(runSeconds(o)).toBe(210);
    const measured = [run('b', 'S1', 1, { tookS: 215 }), run('b', 'S1', 2, { tookS: 225 })];
    expect(runSeconds(o, measured)).toBe(220);
    expect(fitBudget([1, 2, 3, 4], 210, 170 * 60)).toEqual([1, 2, 3, 4]);
    expect(fitBudget([1, 2, 3, 4], 210, 500)).toEqual([1, 2]);
    expect(fitBudget([1, 2], 210)).toEqual([1, 2]);
    expect(duration(90 * 210)).toBe('5 h 15 min');
    expect(duration(600)).toBe('10 min');
  });
});
