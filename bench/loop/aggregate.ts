/**
 * The runs of one arm × scenario over repetitions (Aggregate): counts summed, quantiles the
 * median of the runs' quantiles with their min–max. It needs only the RunResults (the JSON), so
 * runs measured in different sessions (`--resume`) aggregate like runs of one session.
 */

import type { WindowSummary } from '../../demo/load/recorder.ts';
import { mean, median, type PhaseName, phaseNames } from './metrics.ts';
import { type RunResult, round } from './result.ts';

/** The smallest and largest value over repetitions (NaN ones left out). */
export type Range = readonly [number, number];

/** Per phase, what varies between repetitions: each figure's min–max over them. */
export interface PhaseSpread {
  readonly p50Ms: Range;
  readonly p99Ms: Range;
  readonly p999Ms: Range;
  readonly errorRate: Range;
  readonly timeouts: Range;
}

export interface Aggregate {
  readonly arm: string;
  readonly scenario: string;
  /** Number of repetitions aggregated, and which. */
  readonly reps: number;
  readonly repList: readonly number[];
  /**
   * Per phase over repetitions: requests, errors and timeouts summed (error rate and mean from
   * the sums, max the largest); p50/p99/p999 the median of the repetitions' quantiles. Each
   * run's quantiles are exact; the median of runs is computed from the JSON alone, so results
   * accumulated over several sessions (`--resume`) aggregate the same as one session's.
   */
  readonly phases: Record<PhaseName, WindowSummary>;
  /** Min–max over repetitions of each phase's figures. */
  readonly spread: Record<PhaseName, PhaseSpread>;
  /** Medians over repetitions, one that never mitigated counting as ∞; null: the median is ∞. */
  readonly timeToMitigateS: number | null;
  /** Min–max over repetitions of the time to mitigate; null: ∞ (never mitigated). */
  readonly timeToMitigateRange: readonly [number | null, number | null];
  readonly firstBelowS: number | null;
  readonly timeToRestoreS: number | null;
  /** The most reversals in any repetition's recovery phase. */
  readonly recoveryFlipsMax: number;
  readonly flipsMedian: number;
  /** Mean over repetitions, per second. */
  readonly faultyShare: number[];
  readonly faultyShareMean: Record<PhaseName, number>;
}

const finite = (xs: readonly number[]) => xs.filter((x) => !Number.isNaN(x));
const range = (xs: readonly number[]): Range => {
  const v = finite(xs);
  return v.length ? [Math.min(...v), Math.max(...v)] : [Number.NaN, Number.NaN];
};

/** One phase over repetitions: counts summed, quantiles the median of the runs' quantiles. */
export function acrossReps(windows: readonly WindowSummary[]): WindowSummary {
  const sum = (pick: (w: WindowSummary) => number) => windows.reduce((a, w) => a + pick(w), 0);
  const requests = sum((w) => w.requests);
  const errors = sum((w) => w.errors);
  const weighted = sum((w) => (w.requests ? w.meanMs * w.requests : 0));
  const maxes = finite(windows.map((w) => w.maxMs));
  return {
    requests,
    errors,
    errorRate: requests === 0 ? Number.NaN : errors / requests,
    timeouts: sum((w) => w.timeouts),
    meanMs: requests === 0 ? Number.NaN : weighted / requests,
    p50Ms: median(windows.map((w) => w.p50Ms)),
    p99Ms: median(windows.map((w) => w.p99Ms)),
    p999Ms: median(windows.map((w) => w.p999Ms)),
    maxMs: maxes.length ? Math.max(...maxes) : Number.NaN,
  };
}

/** The runs of one arm × scenario (one per repetition) aggregated: see {@link Aggregate}. */
export function aggregate(results: readonly RunResult[]): Aggregate {
  const first = results[0];
  if (!first) throw new Error('aggregate: no runs');
  if (results.some((r) => r.arm !== first.arm || r.scenario !== first.scenario))
    throw new Error('aggregate: runs of different arms or scenarios');
  const windows = (name: PhaseName) => results.map((r) => r.phases[name]);
  const spread = (name: PhaseName): PhaseSpread => {
    const w = windows(name);
    return {
      p50Ms: range(w.map((x) => x.p50Ms)),
      p99Ms: range(w.map((x) => x.p99Ms)),
      p999Ms: range(w.map((x) => x.p999Ms)),
      errorRate: range(w.map((x) => x.errorRate)),
      timeouts: range(w.map((x) => x.timeouts)),
    };
  };
  // A repetition that never mitigated counts as "never" (∞) in the median, not as missing.
  const infinite = (xs: (number | null)[]) => xs.map((x) => x ?? Number.POSITIVE_INFINITY);
  const never = (xs: (number | null)[]) => {
    const m = median(infinite(xs));
    return Number.isFinite(m) ? m : null;
  };
  const ttm = infinite(results.map((r) => r.timeToMitigateS));
  const orNull = (x: number) => (Number.isFinite(x) ? x : null);
  const length = Math.min(...results.map((r) => r.faultyShare.length));
  return {
    arm: first.arm,
    scenario: first.scenario,
    reps: results.length,
    repList: results.map((r) => r.rep).sort((a, b) => a - b),
    phases: Object.fromEntries(
      phaseNames.map((n) => [n, acrossReps(windows(n))]),
    ) as Aggregate['phases'],
    spread: Object.fromEntries(phaseNames.map((n) => [n, spread(n)])) as Aggregate['spread'],
    timeToMitigateS: never(results.map((r) => r.timeToMitigateS)),
    timeToMitigateRange: [orNull(Math.min(...ttm)), orNull(Math.max(...ttm))],
    firstBelowS: never(results.map((r) => r.firstBelowS)),
    timeToRestoreS: never(results.map((r) => r.timeToRestoreS)),
    recoveryFlipsMax: Math.max(...results.map((r) => r.flips.recovery)),
    flipsMedian: median(results.map((r) => r.flips.total)),
    faultyShare: Array.from({ length }, (_, s) =>
      round(mean(results.map((r) => r.faultyShare[s] as number))),
    ),
    faultyShareMean: Object.fromEntries(
      phaseNames.map((n) => [n, round(mean(results.map((r) => r.faultyShareMean[n])), 4)]),
    ) as Record<PhaseName, number>,
  };
}
