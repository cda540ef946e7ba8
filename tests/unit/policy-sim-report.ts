/**
 * The closed-loop simulation (policy-sim.ts) run the way bench/loop runs the real stack, for
 * comparing policy designs before spending hours on the benchmark:
 *
 *   npx tsx tests/unit/policy-sim-report.ts [--phase 60] [--seeds 20] [--set key=value …]
 *
 * Two set-ups: `bench` (5 endpoints, 400 req/s, Envoy's 1.5-s route timeout, statistics in the
 * window a request completes in, warm-up 10 s, then steady / fault / recovery phases) and
 * `acceptance` (tests/integration/policy-loop.test.ts: 4 endpoints, 200 req/s). For each fault
 * it prints, over the seeds and both lags (2 and 3 s), fault-late (the fault phase without its
 * first 10 s) figures: the faulty endpoint's share of requests and the share of all requests that
 * met the fault (a slow, stalled or failed one). p999 halves only when under 0.1% of requests
 * meet the fault (S2's slow ones take 1 s, S4's 1.5 s); `p999 ok` counts the runs where they do.
 */
import { defaultPolicyOptions, parsePolicyOptions } from '../../stream-jobs/policy/options.ts';
import { type FaultKind, type SimSecond, simulate } from './policy-sim.ts';

export interface FaultReport {
  readonly kind: FaultKind;
  readonly runs: number;
  /** Faulty endpoint's share of fault-late requests, pooled over the runs. */
  readonly faultyShare: number;
  /** The largest of one run's. */
  readonly worstFaultyShare: number;
  /** Share of all fault-late requests that met the fault, pooled. */
  readonly hitShare: number;
  readonly worstHitShare: number;
  /** Runs whose fault-late requests met the fault less than 0.1% of the time. */
  readonly p999Ok: number;
  /** Median seconds from the fault to a share below 5% for good (NaN if never). */
  readonly mitigateS: number;
  /** Median and worst seconds from recovery to a share above `restoreShare` for good. */
  readonly restoreS: number;
  readonly worstRestoreS: number;
  /** The most weight reversals of the faulty endpoint after recovery. */
  readonly worstReversals: number;
}

export interface Setup {
  readonly endpoints: number;
  readonly rateRps: number;
  readonly phaseS: number;
  readonly timeoutMs?: number;
  readonly atCompletion: boolean;
  /** Share that counts as restored (bench: half the fair share; acceptance test: 15%). */
  readonly restoreShare: number;
}

export const benchSetup = (phaseS: number): Setup => ({
  endpoints: 5,
  rateRps: 400,
  phaseS,
  timeoutMs: 1500,
  atCompletion: true,
  restoreShare: 0.1,
});

export const acceptanceSetup = (phaseS: number): Setup => ({
  endpoints: 4,
  rateRps: 200,
  phaseS,
  atCompletion: true,
  restoreShare: 0.15,
});

const warmupS = 10;
const settleS = 10;

/** Direction reversals of a weight series (as bench/loop counts them): 0 → 8 → 0 → 8 is two. */
export function reversals(weights: readonly number[]): number {
  let direction = 0;
  let count = 0;
  for (let i = 1; i < weights.length; i++) {
    const d = Math.sign((weights[i] ?? 0) - (weights[i - 1] ?? 0));
    if (d === 0) continue;
    if (direction !== 0 && d !== direction) count++;
    direction = d;
  }
  return count;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN);
};

/** The first second from which `ok` holds to the end of `run`, counted from `from`. */
function settledFrom(run: readonly SimSecond[], ok: (s: SimSecond) => boolean, from: number) {
  let since: number | undefined;
  for (const s of run) {
    if (ok(s)) since ??= s.t;
    else since = undefined;
  }
  return since === undefined ? Number.POSITIVE_INFINITY : since - from;
}

export function reportFault(
  kind: FaultKind,
  setup: Setup,
  seeds: number,
  options = defaultPolicyOptions,
): FaultReport {
  const faultFrom = warmupS + setup.phaseS;
  const faultTo = faultFrom + setup.phaseS;
  const end = faultTo + setup.phaseS;
  let faulty = 0;
  let hits = 0;
  let total = 0;
  let worstFaultyShare = 0;
  let worstHitShare = 0;
  let p999Ok = 0;
  let worstReversals = 0;
  const mitigate: number[] = [];
  const restore: number[] = [];
  let runs = 0;
  for (const lagS of [2, 3]) {
    for (let seed = 1; seed <= seeds; seed++) {
      const run = simulate({
        seconds: end,
        endpoints: setup.endpoints,
        rateRps: setup.rateRps,
        lagS,
        seed,
        options,
        timeoutMs: setup.timeoutMs,
        atCompletion: setup.atCompletion,
        faults: [{ index: 0, kind, fromS: faultFrom, toS: faultTo }],
      });
      runs++;
      // run[k] decides at the end of second k (t = k + 1) the weights second k + 1 runs on, and
      // records the requests second k received.
      const late = run.slice(faultFrom + settleS, faultTo);
      const f = late.reduce((a, s) => a + (s.requests[0] ?? 0), 0);
      const h = late.reduce((a, s) => a + s.faultHits, 0);
      const n = late.reduce((a, s) => a + s.requests.reduce((x, y) => x + y, 0), 0);
      faulty += f;
      hits += h;
      total += n;
      worstFaultyShare = Math.max(worstFaultyShare, f / n);
      worstHitShare = Math.max(worstHitShare, h / n);
      if (h / n < 0.001) p999Ok++;
      const shareOf = (s: SimSecond) => (s.shares[0] ?? 0) as number;
      mitigate.push(
        settledFrom(run.slice(faultFrom, faultTo), (s) => shareOf(s) < 0.05, faultFrom),
      );
      restore.push(
        settledFrom(run.slice(faultTo, end), (s) => shareOf(s) > setup.restoreShare, faultTo),
      );
      worstReversals = Math.max(
        worstReversals,
        reversals(run.slice(faultTo - 1).map((s) => s.weights[0] ?? 0)),
      );
    }
  }
  return {
    kind,
    runs,
    faultyShare: faulty / total,
    worstFaultyShare,
    hitShare: hits / total,
    worstHitShare,
    p999Ok,
    mitigateS: median(mitigate),
    restoreS: median(restore),
    worstRestoreS: Math.max(...restore),
    worstReversals,
  };
}

/**
 * tests/integration/policy-loop.test.ts's first case: 4 endpoints at 200 req/s, one `factor`
 * times slower for `faultS` seconds (the test waits for its share under 5%, at most 10 s), then
 * healed; seconds until its share of the requests over 3 s is above 15% (the test allows 60).
 */
export function acceptanceRecoveryS(
  factor: number,
  faultS: number,
  seeds: number,
  options = defaultPolicyOptions,
): number[] {
  const fromS = 30;
  const out: number[] = [];
  for (const lagS of [2, 3]) {
    for (let seed = 1; seed <= seeds; seed++) {
      const run = simulate({
        seconds: fromS + faultS + 90,
        endpoints: 4,
        rateRps: 200,
        lagS,
        seed,
        options,
        atCompletion: true,
        slowFactor: factor,
        faults: [{ index: 0, kind: 'slow', fromS, toS: fromS + faultS }],
      });
      const healed = fromS + faultS;
      let back = Number.POSITIVE_INFINITY;
      for (let k = healed + 2; k < run.length; k++) {
        const window = run.slice(k - 2, k + 1);
        const mine = window.reduce((a, s) => a + (s.requests[0] ?? 0), 0);
        const all = window.reduce((a, s) => a + s.requests.reduce((x, y) => x + y, 0), 0);
        if (mine / all > 0.15) {
          back = k + 1 - healed;
          break;
        }
      }
      out.push(back);
    }
  }
  return out.sort((a, b) => a - b);
}

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

export function formatReports(title: string, reports: readonly FaultReport[]): string {
  const lines = [
    `${title}`,
    '| fault | runs | faulty share (worst) | met the fault (worst) | p999 ok | mitigate s | restore s (worst) | recovery reversals (worst) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of reports) {
    lines.push(
      `| ${r.kind} | ${r.runs} | ${pct(r.faultyShare)} (${pct(r.worstFaultyShare)}) | ${pct(r.hitShare, 3)} (${pct(r.worstHitShare, 3)}) | ${r.p999Ok}/${r.runs} | ${r.mitigateS} | ${r.restoreS} (${r.worstRestoreS}) | ${r.worstReversals} |`,
    );
  }
  return lines.join('\n');
}

function main(argv: readonly string[]) {
  let phaseS = 60;
  let seeds = 20;
  const set: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1] ?? '';
    if (arg === '--phase') phaseS = Number(value);
    else if (arg === '--seeds') seeds = Number(value);
    else if (arg === '--set') {
      const [key, v] = value.split('=');
      set[key ?? ''] = Number(v);
    } else continue;
    i++;
  }
  const options = parsePolicyOptions(set);
  const kinds: FaultKind[] = ['slow', 'tail', 'fail', 'stall'];
  for (const [name, setup] of [
    ['bench (5 endpoints, 400 req/s, route timeout 1.5 s)', benchSetup(phaseS)],
    ['acceptance (4 endpoints, 200 req/s; restored = above 15%)', acceptanceSetup(phaseS)],
  ] as const) {
    const reports = kinds.map((k) => reportFault(k, setup, seeds, options));
    console.log(
      formatReports(
        `${name}, ${phaseS}-s phases, fault-late = last ${phaseS - settleS} s`,
        reports,
      ),
    );
    console.log();
  }
  for (const factor of [12, 24]) {
    for (const faultS of [6, 10]) {
      const times = acceptanceRecoveryS(factor, faultS, seeds, options);
      console.log(
        `acceptance test: ${factor}× slower for ${faultS} s, back above 15%: median ${median(times)} s, worst ${times.at(-1)} s (limit 60)`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
