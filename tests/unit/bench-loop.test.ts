/**
 * The pure parts of bench/loop and demo/load (the benchmark itself runs only on demand): the
 * seeded Poisson schedule and service times, exact quantiles, time to mitigate and weight flips
 * on synthetic series, phases, options, the arms' mesh configs and the target checks.
 */

import { describe, expect, it } from 'vitest';
import { type Aggregate, aggregate } from '../../bench/loop/aggregate.ts';
import {
  changes,
  firstBelow,
  flips,
  median,
  phases,
  shareSeries,
  timeToMitigate,
  timeToRestore,
} from '../../bench/loop/metrics.ts';
import { parseOptions } from '../../bench/loop/options.ts';
import { buckets, compactJson, markdown } from '../../bench/loop/report.ts';
import { type RunRaw, runResult } from '../../bench/loop/result.ts';
import { arms, meshYaml } from '../../bench/loop/scenarios.ts';
import { targets } from '../../bench/loop/targets.ts';
import { lognormal, poissonArrivals, seededRandom } from '../../demo/load/poisson.ts';
import { type Columns, quantile, summarize, summarizeWindows } from '../../demo/load/recorder.ts';
import { parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';

const take = (n: number, it: Iterator<number>) => Array.from({ length: n }, () => it.next().value);

describe('Poisson schedule (seeded)', () => {
  it('400/s for 100 s: count, mean gap and gap CV as a Poisson process has them', () => {
    const arrivals = poissonArrivals(400, 7);
    const times: number[] = [];
    for (let t = arrivals.next().value; t < 100_000; t = arrivals.next().value) times.push(t);
    // Count ~ Poisson(40,000): σ = 200, so ±4σ.
    expect(Math.abs(times.length - 40_000)).toBeLessThan(800);
    const gaps = times.map((t, i) => t - (times[i - 1] ?? 0));
    const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / gaps.length);
    expect(m).toBeCloseTo(2.5, 1);
    expect(sd / m).toBeGreaterThan(0.97); // exponential gaps: CV 1 (a fixed pace would be 0)
    expect(sd / m).toBeLessThan(1.03);
    // Per-second counts: variance ≈ mean (index of dispersion 1).
    const perSecond = new Array<number>(100).fill(0);
    for (const t of times)
      perSecond[Math.floor(t / 1000)] = (perSecond[Math.floor(t / 1000)] ?? 0) + 1;
    const pm = perSecond.reduce((a, b) => a + b, 0) / 100;
    const pv = perSecond.reduce((a, c) => a + (c - pm) ** 2, 0) / 99;
    expect(pv / pm).toBeGreaterThan(0.6);
    expect(pv / pm).toBeLessThan(1.5);
  });

  it('same seed, same schedule; another seed, another; a bad rate throws', () => {
    expect(take(5, poissonArrivals(100, 1))).toEqual(take(5, poissonArrivals(100, 1)));
    expect(take(5, poissonArrivals(100, 1))).not.toEqual(take(5, poissonArrivals(100, 2)));
    expect(() => poissonArrivals(0, 1).next()).toThrow(RangeError);
  });

  it('lognormal service time: median and spread as documented (10 ms, σ 0.5)', () => {
    const random = seededRandom(3);
    const xs = Array.from({ length: 20_000 }, () => lognormal(random, 10, 0.5)).sort(
      (a, b) => a - b,
    );
    expect(quantile(xs, 0.5)).toBeGreaterThan(9.6);
    expect(quantile(xs, 0.5)).toBeLessThan(10.4);
    expect(quantile(xs, 0.99)).toBeGreaterThan(29); // 10·e^(2.326·0.5) = 32
    expect(quantile(xs, 0.99)).toBeLessThan(35);
  });
});

describe('exact quantiles and window summaries', () => {
  it('nearest rank: p50/p99/p999 of 1..1000 are 500/990/999; empty is NaN; bad q throws', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect([0.5, 0.99, 0.999, 1].map((q) => quantile(xs, q))).toEqual([500, 990, 999, 1000]);
    expect(quantile([7], 0.999)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile(xs, 0)).toThrow(RangeError);
  });

  const columns = (rows: [number, number, number][]): Columns => ({
    intendedMs: Float64Array.from(rows.map((r) => r[0])),
    latencyMs: Float64Array.from(rows.map((r) => r[1])),
    status: Uint16Array.from(rows.map((r) => r[2])),
    upstream: Int16Array.from(rows.map(() => -1)),
    upstreams: [],
  });

  it('a window counts by intended time; errors = 0 or ≥ 400, timeouts = 0 or 504', () => {
    const c = columns([
      [0, 10, 200],
      [500, 20, 503],
      [999, 1500, 504],
      [1000, 30, 0],
      [1500, 40, 200],
    ]);
    expect(summarize(c, 0, 1000)).toMatchObject({
      requests: 3,
      errors: 2,
      timeouts: 1,
      p50Ms: 20,
      maxMs: 1500,
    });
    expect(summarize(c, 1000, 2000)).toMatchObject({ requests: 2, errors: 1, timeouts: 1 });
    expect(summarize(c, 5000, 6000).p99Ms).toBeNaN();
    const pooled = summarizeWindows([
      { columns: c, range: [0, 1000] },
      { columns: c, range: [1000, 2000] },
    ]);
    expect(pooled).toMatchObject({ requests: 5, errors: 3, timeouts: 2, p50Ms: 30 });
  });
});

describe('time to mitigate, shares and flips', () => {
  it('the first second from which the share stays below 5% to the end of the fault', () => {
    expect(timeToMitigate([0.2, 0.2, 0.1, 0.04, 0.01, 0])).toBe(3);
    // A lapse (re-probe above 5%) restarts the clock; first-below still sees the first dip.
    expect(timeToMitigate([0.2, 0.01, 0.01, 0.2, 0.01, 0.01])).toBe(4);
    expect(firstBelow([0.2, 0.01, 0.01, 0.2, 0.01, 0.01])).toBe(1);
    expect(timeToMitigate([0.01, 0.01])).toBe(0);
    expect(timeToMitigate([0.01, 0.2])).toBeUndefined();
    expect(timeToMitigate([0.2, Number.NaN])).toBe(1);
    expect(firstBelow([0.3, 0.3])).toBeUndefined();
  });

  it('time to restore: the first recovery second from which the share stays ≥ the floor', () => {
    expect(timeToRestore([0, 0, 0.15, 0.05, 0.2, 0.2], 0.1)).toBe(4);
    expect(timeToRestore([0.2, 0.2], 0.1)).toBe(0);
    expect(timeToRestore([0.2, 0], 0.1)).toBeUndefined();
  });

  it('share per second counts arrivals at the backends', () => {
    const arrivals = [Float64Array.from([100, 200, 1100]), Float64Array.from([150, 1200, 1300])];
    expect(shareSeries(arrivals, 0, 0, 3)).toEqual([2 / 3, 1 / 3, Number.NaN]);
  });

  it('flips: direction reversals; changes: moves', () => {
    expect(flips([100, 100, 100])).toBe(0);
    expect(flips([100, 50, 0, 0, 50, 100])).toBe(1);
    expect(flips([100, 0, 100, 0])).toBe(2);
    expect(flips([100, undefined, 80, 90, 70, 100])).toBe(3);
    expect(changes([100, 50, 50, undefined, 0, 100])).toBe(3);
    expect(median([3, undefined, 1, Number.POSITIVE_INFINITY])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('phases: steady, fault, fault-late, recovery; settle at most half a phase', () => {
    const p = phases(1000, 10, 60, 10);
    expect(p).toMatchObject({
      steady: [11_000, 71_000],
      fault: [71_000, 131_000],
      faultLate: [81_000, 131_000],
      recovery: [131_000, 191_000],
      run: [11_000, 191_000],
    });
    expect(phases(0, 0, 10, 10).faultLate).toEqual([15_000, 20_000]);
  });
});

describe('options and arms', () => {
  it('defaults are the full run; lists are checked', () => {
    expect(parseOptions([])).toMatchObject({
      phaseS: 60,
      reps: 3,
      scenarios: ['S0', 'S1', 'S2', 'S3', 'S4'],
      arms: ['a', 'b', 'c', 'ct', 'd', 'e'],
      json: 'bench/results/loop.json',
    });
    const o = parseOptions(['--phase-seconds', '10', '--arms', 'e,b', '--json', '']);
    expect(o).toMatchObject({ phaseS: 10, arms: ['b', 'e'], json: undefined });
    expect(() => parseOptions(['--arms', 'z'])).toThrow(/unknown arm 'z'/);
    expect(() => parseOptions(['--reps', '0'])).toThrow(/--reps/);
  });

  it("every arm's mesh config is valid and differs only in balancing", () => {
    for (const arm of arms) {
      const yaml = meshYaml({
        arm,
        listenerPort: 10000,
        endpoints: ['127.0.0.1:8001', '127.0.0.1:8002'],
        collectorPort: 18090,
        timeoutMs: 1500,
      });
      const parsed = parseMeshConfig(yaml, `${arm.name}.yaml`);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const cluster = parsed.config.clusters[0];
      expect(cluster?.lbPolicy).toBe(arm.lbPolicy);
      expect(cluster?.policy).toBe(arm.policy);
      expect(Boolean(cluster?.outlierDetection)).toBe(Boolean(arm.outlierDetection));
      expect(parsed.config.listeners[0]?.routes[0]?.timeoutMs).toBe(1500);
    }
  });
});

describe('report', () => {
  const window = (p99Ms: number, p999Ms: number, timeouts: number) => ({
    requests: 1000,
    errors: timeouts,
    errorRate: timeouts / 1000,
    timeouts,
    meanMs: 10,
    p50Ms: 10,
    p99Ms,
    p999Ms,
    maxMs: p999Ms,
  });
  const agg = (arm: string, scenario: string, w: ReturnType<typeof window>): Aggregate => ({
    arm,
    scenario,
    reps: 3,
    repList: [1, 2, 3],
    phases: { steady: w, fault: w, faultLate: w, recovery: w, run: w },
    spread: (() => {
      const r = {
        p50Ms: [10, 10],
        p99Ms: [w.p99Ms, w.p99Ms],
        p999Ms: [w.p999Ms, w.p999Ms],
        errorRate: [w.errorRate, w.errorRate],
        timeouts: [w.timeouts, w.timeouts],
      } as const;
      return { steady: r, fault: r, faultLate: r, recovery: r, run: r };
    })(),
    timeToMitigateS: 4,
    timeToMitigateRange: [4, 4],
    firstBelowS: 3,
    timeToRestoreS: 2,
    recoveryFlipsMax: 1,
    flipsMedian: 1,
    faultyShare: [],
    faultyShareMean: { steady: 0.2, fault: 0.05, faultLate: 0.01, recovery: 0.2, run: 0.15 },
  });

  it('targets: (d) against (b) in fault-late, S0 within ±5%, mitigation, overshoot', () => {
    const checks = targets(
      [
        agg('b', 'S2', window(1000, 1200, 50)),
        agg('d', 'S2', window(600, 500, 5)),
        agg('b', 'S0', window(30, 40, 0)),
        agg('d', 'S0', window(31, 40, 0)),
      ],
      2,
    );
    const s2 = checks.filter((c) => c.scenario === 'S2');
    expect(s2.map((c) => c.met)).toEqual([true, true, true, true, true]);
    expect(s2.find((c) => c.target.includes('mitigated'))?.target).toContain('6 s');
    const s0 = checks.filter((c) => c.scenario === 'S0');
    expect(s0.map((c) => [c.value, c.met])).toEqual([
      ['0.0%', true],
      ['3.3%', true],
    ]);
  });

  it('JSON keeps number arrays on one line', () => {
    const text = compactJson({ a: [1, null, 2.5], b: [{ c: 1 }], d: ['x'] });
    expect(text).toContain('"a": [1, null, 2.5]');
    expect(JSON.parse(text)).toEqual({ a: [1, null, 2.5], b: [{ c: 1 }], d: ['x'] });
  });

  it('share buckets as whole percent', () => {
    expect(buckets([0.2, 0.2, 0.1, Number.NaN, 0, 0], 2)).toBe('20 10 0');
  });
});

describe('one run end to end (synthetic)', () => {
  // 2 backends, 2 s phases from t = 0: b0 gets half the requests, none while faulty (2..4 s).
  const p = phases(0, 0, 2, 1);
  const intended = Array.from({ length: 60 }, (_, i) => i * 100);
  const raw: RunRaw = {
    arm: 'e',
    scenario: 'S3',
    rep: 1,
    seed: 1,
    phases: p,
    columns: {
      intendedMs: Float64Array.from(intended),
      latencyMs: Float64Array.from(intended.map((t) => (t >= 2000 && t < 2500 ? 1000 : 10))),
      status: Uint16Array.from(intended.map((t) => (t >= 2000 && t < 2500 ? 504 : 200))),
      upstream: Int16Array.from(intended.map(() => -1)),
      upstreams: [],
    },
    arrivals: [
      Float64Array.from(intended.filter((t, i) => i % 2 === 0 && (t < 2000 || t >= 4000))),
      Float64Array.from(intended.filter((t, i) => i % 2 === 1 || (t >= 2000 && t < 4000))),
    ],
    faulty: 0,
    weights: [0, 1, 2, 3, 4, 5].map((s) => ({
      atMs: s * 1000 + 50,
      routing: s >= 2 && s < 4 ? 0 : undefined,
      envoy: 1,
      out: s >= 2 && s < 4,
    })),
    generator: { sent: 60, answered: 60, failed: 0, maxSendLagMs: 1, maxInFlight: 2 },
    backends: [],
    loadAverageBefore: 0.5,
  };

  it('phases, share, time to mitigate and restore, flips; aggregated and rendered', () => {
    const r = runResult(raw);
    expect(r.phases.fault).toMatchObject({ requests: 20, timeouts: 5, p50Ms: 10, maxMs: 1000 });
    expect(r.phases.faultLate).toMatchObject({ requests: 10, timeouts: 0 });
    expect(r.faultyShare).toEqual([0.5, 0.5, 0, 0, 0.5, 0.5]);
    expect([r.timeToMitigateS, r.firstBelowS, r.timeToRestoreS]).toEqual([0, 0, 0]);
    // The out-and-back reverses across the phase edge: one flip in all, none within a phase.
    expect(r.flips).toEqual({ total: 1, steady: 0, fault: 0, recovery: 0 });
    expect(r.effectiveWeight).toEqual([1, 1, 0, 0, 1, 1]);
    const pooled = aggregate([r, { ...r, rep: 2 }]);
    expect(pooled.phases.fault).toMatchObject({ requests: 40, timeouts: 10 });
    const md = markdown({
      benchmark: 'loop',
      date: '2026-01-01T00:00:00.000Z',
      command: 'meshgraph bench loop',
      machine: { cpu: 'CPU', cores: 2, memoryGiB: 24, node: 'v20', os: 'linux' },
      options: parseOptions(['--phase-seconds', '2', '--arms', 'e', '--scenarios', 'S3']),
      complete: true,
      aggregates: [pooled],
      runs: [r, r],
    });
    expect(md).toContain('- command: `meshgraph bench loop`');
    expect(md).toContain('## S3: fails fast');
    expect(md).toContain('| e | fault | 10.0 | 1,000 | 1,000 | 25.00 | 10 | 40 |');
  });
});
