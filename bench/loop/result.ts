/**
 * One run's raw data → its figures (RunResult, exact quantiles over its own requests), and the
 * runs of one arm × scenario over repetitions (Aggregate): counts summed, quantiles the median of
 * the runs' quantiles with their min–max. The aggregate needs only the RunResults (the JSON), so
 * runs measured in different sessions (`--resume`) aggregate like runs of one session.
 */

import type { OpenLoopSummary } from '../../demo/load/open-loop.ts';
import { type Columns, summarizeWindows, type WindowSummary } from '../../demo/load/recorder.ts';
import type { BackendCounters } from './backend.ts';
import {
  changes,
  firstBelow,
  flips,
  mean,
  median,
  type PhaseName,
  type Phases,
  phaseNames,
  shareSeries,
  timeToMitigate,
  timeToRestore,
} from './metrics.ts';
import { effectiveWeight, type WeightSample } from './weights.ts';

export interface RunRaw {
  readonly arm: string;
  readonly scenario: string;
  readonly rep: number;
  readonly seed: number;
  readonly phases: Phases;
  readonly columns: Columns;
  /** Arrival times per backend; index `faulty` is the one the fault hits. */
  readonly arrivals: readonly Float64Array[];
  readonly faulty: number;
  readonly weights: readonly WeightSample[];
  readonly generator: OpenLoopSummary;
  readonly backends: readonly BackendCounters[];
  /** The machine's 1-minute load average before the run (others' work shows here). */
  readonly loadAverageBefore: number | undefined;
}

export interface RunResult {
  readonly arm: string;
  readonly scenario: string;
  readonly rep: number;
  readonly seed: number;
  readonly phases: Record<PhaseName, WindowSummary>;
  /** Seconds from fault start (see metrics.ts timeToMitigate); null: not mitigated. */
  readonly timeToMitigateS: number | null;
  readonly firstBelowS: number | null;
  /** Seconds from recovery start until the share stays ≥ half the fair share; null: never. */
  readonly timeToRestoreS: number | null;
  /** Direction reversals of the faulty endpoint's effective weight in Envoy. */
  readonly flips: { total: number; steady: number; fault: number; recovery: number };
  readonly weightChanges: number;
  /** Per second from steady start, over the three phases. */
  readonly faultyShare: number[];
  readonly faultyShareMean: Record<PhaseName, number>;
  /** Latency p50 and p99 of the requests intended in each second from steady start. */
  readonly latencyPerSecond: { p50: number[]; p99: number[] };
  readonly effectiveWeight: (number | null)[];
  readonly routingWeight: (number | null)[];
  readonly generator: OpenLoopSummary;
  readonly backends: readonly BackendCounters[];
  readonly loadAverageBefore: number | null;
  /** Provenance, set by the driver: the code revision (revision.ts `tree`) it was measured on, */
  readonly revision?: string;
  /** when it started (ISO), */
  readonly at?: string;
  /** and how long it took, stack start and stop included (s). */
  readonly tookS?: number;
}

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** Weights of the samples in [from, to), plus the last one before `from` as the baseline. */
function weightsIn(samples: readonly WeightSample[], from: number, to: number) {
  const before = samples.filter((s) => s.atMs < from).at(-1);
  const inside = samples.filter((s) => s.atMs >= from && s.atMs < to);
  return [...(before ? [before] : []), ...inside].map(effectiveWeight);
}

function latencyPerSecond(columns: Columns, from: number, seconds: number) {
  const each = Array.from({ length: seconds }, (_, s) =>
    summarizeWindows([{ columns, range: [from + s * 1000, from + (s + 1) * 1000] }]),
  );
  return { p50: each.map((w) => round(w.p50Ms, 1)), p99: each.map((w) => round(w.p99Ms, 1)) };
}

export function runResult(raw: RunRaw): RunResult {
  const { phases } = raw;
  const window = (name: PhaseName) =>
    summarizeWindows([{ columns: raw.columns, range: phases[name] }]);
  const [from] = phases.steady;
  const seconds = Math.round((phases.recovery[1] - from) / 1000);
  const share = shareSeries(raw.arrivals, raw.faulty, from, seconds);
  const phaseSeconds = Math.round((phases.fault[1] - phases.fault[0]) / 1000);
  const faultShare = share.slice(phaseSeconds, 2 * phaseSeconds);
  const shareOf = (name: PhaseName) => {
    const start = Math.round((phases[name][0] - from) / 1000);
    const end = Math.round((phases[name][1] - from) / 1000);
    return round(mean(share.slice(start, end)), 4);
  };
  const perSecond = (pick: (s: WeightSample) => number | undefined) =>
    Array.from({ length: seconds }, (_, s) => {
      const sample = raw.weights.find((w) => w.atMs >= from + s * 1000);
      return sample && sample.atMs < from + (s + 1) * 1000 ? (pick(sample) ?? null) : null;
    });
  const all = raw.weights.map(effectiveWeight);
  return {
    arm: raw.arm,
    scenario: raw.scenario,
    rep: raw.rep,
    seed: raw.seed,
    phases: Object.fromEntries(phaseNames.map((n) => [n, window(n)])) as RunResult['phases'],
    timeToMitigateS: timeToMitigate(faultShare) ?? null,
    firstBelowS: firstBelow(faultShare) ?? null,
    timeToRestoreS: timeToRestore(share.slice(2 * phaseSeconds), 0.5 / raw.arrivals.length) ?? null,
    flips: {
      total: flips(all),
      steady: flips(weightsIn(raw.weights, ...phases.steady)),
      fault: flips(weightsIn(raw.weights, ...phases.fault)),
      recovery: flips(weightsIn(raw.weights, ...phases.recovery)),
    },
    weightChanges: changes(all),
    faultyShare: share.map((x) => round(x)),
    faultyShareMean: Object.fromEntries(phaseNames.map((n) => [n, shareOf(n)])) as Record<
      PhaseName,
      number
    >,
    latencyPerSecond: latencyPerSecond(raw.columns, from, seconds),
    effectiveWeight: perSecond(effectiveWeight),
    routingWeight: perSecond((s) => s.routing),
    generator: raw.generator,
    backends: raw.backends,
    loadAverageBefore: raw.loadAverageBefore ?? null,
  };
}

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
