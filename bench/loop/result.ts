/**
 * One run's raw data → its figures (RunResult), and the runs of one arm × scenario pooled over
 * repetitions (Aggregate): latency quantiles from all their requests together, so the p999 of
 * three 50 s windows rests on three times the tail samples of one.
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

export interface Aggregate {
  readonly arm: string;
  readonly scenario: string;
  readonly reps: number;
  /** Every repetition's requests of the phase together. */
  readonly phases: Record<PhaseName, WindowSummary>;
  /** Medians over repetitions, one that never mitigated counting as ∞; null: the median is ∞. */
  readonly timeToMitigateS: number | null;
  readonly firstBelowS: number | null;
  readonly timeToRestoreS: number | null;
  /** The most reversals in any repetition's recovery phase. */
  readonly recoveryFlipsMax: number;
  readonly flipsMedian: number;
  /** Mean over repetitions, per second. */
  readonly faultyShare: number[];
  readonly faultyShareMean: Record<PhaseName, number>;
}

export function aggregate(raws: readonly RunRaw[], results: readonly RunResult[]): Aggregate {
  const first = results[0];
  if (!first || raws.length !== results.length) throw new Error('aggregate: no runs');
  const pooled = (name: PhaseName) =>
    summarizeWindows(raws.map((r) => ({ columns: r.columns, range: r.phases[name] })));
  // A repetition that never mitigated counts as "never" (∞) in the median, not as missing.
  const never = (xs: (number | null)[]) => {
    const m = median(xs.map((x) => x ?? Number.POSITIVE_INFINITY));
    return Number.isFinite(m) ? m : null;
  };
  const length = Math.min(...results.map((r) => r.faultyShare.length));
  return {
    arm: first.arm,
    scenario: first.scenario,
    reps: results.length,
    phases: Object.fromEntries(phaseNames.map((n) => [n, pooled(n)])) as Aggregate['phases'],
    timeToMitigateS: never(results.map((r) => r.timeToMitigateS)),
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
