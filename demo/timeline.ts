import type { Fault, FaultControl } from './fleet/service.ts';

/**
 * One scripted change to the fleet.
 * - `atMs` (number): when, in ms after the timeline starts.
 * - `event` ('slow' | 'errors' | 'recover'): what kind of change, for logs and tests.
 * - `faults` (instance name → Fault, or null to clear it): what it sets.
 * - `what` (string): what happens, one line.
 * - `watch` (string): what to look at while it happens, one line.
 */
export interface TimelineStep {
  readonly atMs: number;
  readonly event: 'slow' | 'errors' | 'recover';
  readonly faults: Readonly<Record<string, Fault | null>>;
  readonly what: string;
  readonly watch: string;
}

/** When each step happens, in ms after the timeline starts; strictly increasing. */
export interface TimelineTimes {
  slowAtMs: number;
  errorsAtMs: number;
  recoverAtMs: number;
}

/** `default` leaves a minute between steps, long enough to read the page; `fast` is for tests. */
export const timelinePresets: Readonly<Record<'default' | 'fast', TimelineTimes>> = {
  default: { slowAtMs: 60_000, errorsAtMs: 120_000, recoverAtMs: 180_000 },
  fast: { slowAtMs: 20_000, errorsAtMs: 40_000, recoverAtMs: 60_000 },
};

/**
 * Which instances the timeline hurts and how.
 * - `slow` (string, default `catalog-2`): gets `slowMs` of extra latency.
 * - `slowMs` (number, default 250): far above the fleet's 1–3 ms service times.
 * - `failing` (string, default `db-3`): answers 503 to `errorRate` of its requests.
 * - `errorRate` (number 0..1, default 0.5).
 */
export interface TimelineTargets {
  slow?: string;
  slowMs?: number;
  failing?: string;
  errorRate?: number;
}

/**
 * The demo's fault timeline as a value: one instance of an adaptive cluster turns slow, later
 * one of another adaptive cluster fails half its requests, later both recover. The faults hit
 * single instances, not whole services, so the policy has healthy siblings to shift weight to.
 */
export function demoTimeline(times: TimelineTimes, targets: TimelineTargets = {}): TimelineStep[] {
  const { slowAtMs, errorsAtMs, recoverAtMs } = times;
  if (!(slowAtMs >= 0 && errorsAtMs > slowAtMs && recoverAtMs > errorsAtMs)) {
    throw new RangeError(
      `timeline times must increase: slow ${slowAtMs} ms, errors ${errorsAtMs} ms, recover ${recoverAtMs} ms`,
    );
  }
  const { slow = 'catalog-2', slowMs = 250, failing = 'db-3', errorRate = 0.5 } = targets;
  const [slowService, failingService] = [serviceOf(slow), serviceOf(failing)];
  return [
    {
      atMs: slowAtMs,
      event: 'slow',
      faults: { [slow]: { extraLatencyMs: slowMs } },
      what: `${slow} turns slow (+${slowMs} ms per request)`,
      watch: `its weight drop on the page as the policy moves ${slowService} traffic to its siblings`,
    },
    {
      atMs: errorsAtMs,
      event: 'errors',
      faults: { [failing]: { errorRate } },
      what: `${failing} fails ${Math.round(errorRate * 100)}% of its requests (503)`,
      watch: `${failing} ejected (weight 0); root cause of web's errors: /v1/analyses/root-cause?symptom=web names ${failingService}`,
    },
    {
      atMs: recoverAtMs,
      event: 'recover',
      faults: { [slow]: null, [failing]: null },
      what: `${slow} and ${failing} recover`,
      watch: 'their weights climb back step by step (the recovery ramp)',
    },
  ];
}

/** `catalog-2` → `catalog`: instance names are `<service>-<n>` (demo/fleet/topology.ts). */
function serviceOf(instance: string): string {
  return instance.replace(/-\d+$/, '');
}

/** Time as the runner sees it: injected so tests drive it without waiting. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Options for {@link runTimeline}.
 * - `faults` (instance name → FaultControl, required): every instance a step names must be here.
 * - `clock` (Clock, default the real one).
 * - `onStep` ((step, elapsedMs) => void, default none): called right after a step is applied.
 */
export interface RunTimelineOptions {
  faults: Readonly<Record<string, FaultControl>>;
  clock?: Clock;
  onStep?: (step: TimelineStep, elapsedMs: number) => void;
}

export interface RunningTimeline {
  /** Settles after the last step, or at `stop()`. */
  readonly done: Promise<void>;
  /** Cancels the steps not yet applied; faults already set stay as they are. */
  stop(): void;
}

/**
 * Applies the steps at their times, in order, starting now. Steps are applied one after the
 * other, so a late timer (a busy machine) delays a step but never reorders two.
 */
export function runTimeline(
  steps: readonly TimelineStep[],
  options: RunTimelineOptions,
): RunningTimeline {
  const { faults, clock = realClock, onStep } = options;
  for (const step of steps) {
    for (const instance of Object.keys(step.faults)) {
      if (!faults[instance]) throw new Error(`timeline: no instance '${instance}' in the fleet`);
    }
  }
  const ordered = [...steps].sort((a, b) => a.atMs - b.atMs);
  const started = clock.now();
  let handle: unknown;
  let stopped = false;
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const next = (i: number) => {
    const step = ordered[i];
    if (stopped || !step) return finish();
    handle = clock.setTimeout(
      () => {
        handle = undefined;
        if (stopped) return;
        for (const [instance, fault] of Object.entries(step.faults)) {
          if (fault) faults[instance]?.set(fault);
          else faults[instance]?.clear();
        }
        onStep?.(step, clock.now() - started);
        next(i + 1);
      },
      Math.max(0, started + step.atMs - clock.now()),
    );
  };
  next(0);
  return {
    done,
    stop() {
      stopped = true;
      if (handle !== undefined) clock.clearTimeout(handle);
      finish();
    },
  };
}
