/**
 * The loop benchmark's figures that are not plain latency summaries, as pure functions over
 * per-second series: the faulty endpoint's share, time to mitigate, and weight flips.
 */

/** The windows of one run (ms since the epoch, each [from, to)). */
export interface Phases {
  readonly steady: readonly [number, number];
  readonly fault: readonly [number, number];
  /** The fault phase without its first `settle` seconds: what the targets compare. */
  readonly faultLate: readonly [number, number];
  readonly recovery: readonly [number, number];
  /** All three phases: S0 (no fault) compares whole runs. */
  readonly run: readonly [number, number];
}

export type PhaseName = keyof Phases;
export const phaseNames: readonly PhaseName[] = ['steady', 'fault', 'faultLate', 'recovery', 'run'];

/**
 * Phases after `warmupS` seconds from `startAtMs`, each `phaseS` seconds long; the settle time
 * is at most half the fault phase, so short (smoke) runs still have a late-fault window.
 */
export function phases(
  startAtMs: number,
  warmupS: number,
  phaseS: number,
  settleS: number,
): Phases {
  const steady = startAtMs + warmupS * 1000;
  const fault = steady + phaseS * 1000;
  const recovery = fault + phaseS * 1000;
  const settle = Math.min(settleS, phaseS / 2) * 1000;
  return {
    steady: [steady, fault],
    fault: [fault, recovery],
    faultLate: [fault + settle, recovery],
    recovery: [recovery, recovery + phaseS * 1000],
    run: [steady, recovery + phaseS * 1000],
  };
}

/**
 * Backend `index`'s share of all arrivals at the backends in each whole second from `fromMs`
 * (`seconds` of them). Counted where requests land, so requests a proxy timed out (no
 * `x-backend` in the answer) count for the backend they were sent to. NaN: no arrivals.
 */
export function shareSeries(
  arrivals: readonly ArrayLike<number>[],
  index: number,
  fromMs: number,
  seconds: number,
): number[] {
  const totals = new Array<number>(seconds).fill(0);
  const mine = new Array<number>(seconds).fill(0);
  arrivals.forEach((times, b) => {
    for (let i = 0; i < times.length; i++) {
      const s = Math.floor(((times[i] as number) - fromMs) / 1000);
      if (s < 0 || s >= seconds) continue;
      totals[s] = (totals[s] as number) + 1;
      if (b === index) mine[s] = (mine[s] as number) + 1;
    }
  });
  return mine.map((n, s) => (totals[s] ? n / (totals[s] as number) : Number.NaN));
}

/**
 * Time to mitigate, over the fault phase's per-second shares: the first second t (0 = the
 * fault's first second) from which the faulty share stays below `threshold` for every later
 * second of the fault phase. So a mitigation that lapses (re-probing above the threshold, an
 * ejection that expires) counts only from its last lapse. Undefined: never mitigated, or still
 * above at the end. Seconds without arrivals (NaN) count as below.
 */
export function timeToMitigate(
  faultShares: readonly number[],
  threshold = 0.05,
): number | undefined {
  let t = faultShares.length;
  while (t > 0 && !((faultShares[t - 1] as number) >= threshold)) t -= 1;
  return t < faultShares.length ? t : undefined;
}

/**
 * Time to restore, over the recovery phase's per-second shares: the first second from which
 * the share stays at or above `floor` (e.g. half the fair share) to the end of the phase.
 * Undefined: below the floor at the end.
 */
export function timeToRestore(
  recoveryShares: readonly number[],
  floor: number,
): number | undefined {
  let t = recoveryShares.length;
  while (t > 0 && !((recoveryShares[t - 1] as number) < floor)) t -= 1;
  return t < recoveryShares.length ? t : undefined;
}

/** The first second of the fault phase with the share below `threshold` (however briefly). */
export function firstBelow(faultShares: readonly number[], threshold = 0.05): number | undefined {
  const i = faultShares.findIndex((share) => !(share >= threshold));
  return i < 0 ? undefined : i;
}

/**
 * Direction reversals of a weight series (one sample a second): up then down, or down then up;
 * unchanged or missing samples do not end a direction. 100 → 0 → 0 → 100 is one flip (a
 * removal and a return); 100 → 0 → 100 → 0 two.
 */
export function flips(weights: readonly (number | undefined)[]): number {
  let last: number | undefined;
  let direction = 0;
  let count = 0;
  for (const w of weights) {
    if (w === undefined) continue;
    if (last !== undefined && w !== last) {
      const d = Math.sign(w - last);
      if (direction !== 0 && d !== direction) count += 1;
      direction = d;
    }
    last = w;
  }
  return count;
}

/** Number of changes of a weight series (pushes that moved the faulty endpoint's weight). */
export function changes(weights: readonly (number | undefined)[]): number {
  const known = weights.filter((w): w is number => w !== undefined);
  return known.slice(1).filter((w, i) => w !== known[i]).length;
}

/** The mean of the defined, finite values; NaN when none. */
export function mean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN;
}

/** The median of the defined values (±Infinity included); NaN when none. */
export function median(values: readonly (number | undefined)[]): number {
  const v = values.filter((x): x is number => x !== undefined && !Number.isNaN(x));
  v.sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}
