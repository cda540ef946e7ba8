/**
 * One run's raw data → its figures (RunResult): exact quantiles over its own requests, the
 * faulty endpoint's share per second, time to mitigate and weight flips. Over repetitions:
 * aggregate.ts.
 */

import type { OpenLoopSummary } from '../../demo/load/open-loop.ts';
import { type Columns, summarizeWindows, type WindowSummary } from '../../demo/load/recorder.ts';
import type { BackendCounters } from './backend.ts';
import {
  changes,
  firstBelow,
  flips,
  mean,
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

/** `x` to `digits` decimals, so the JSON holds no float noise; NaN and ∞ stay as they are. */
export const round = (x: number, digits = 3) =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : x;

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
