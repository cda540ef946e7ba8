import { describe, expect, it } from 'vitest';
import { FaultControl } from '../../demo/fleet/service.ts';
import {
  type Clock,
  demoTimeline,
  runTimeline,
  type TimelineStep,
  timelinePresets,
} from '../../demo/timeline.ts';

/** A clock that moves only when told, firing due timers in time order. */
function manualClock() {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(callback, ms) {
      timers.set(++nextId, { at: now + ms, callback });
      return nextId;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  const advanceTo = (to: number) => {
    for (;;) {
      const due = [...timers.entries()]
        .filter(([, t]) => t.at <= to)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = Math.max(now, due[1].at);
      due[1].callback();
    }
    now = to;
  };
  return { clock, advanceTo, pending: () => timers.size };
}

function fleetFaults() {
  return { 'catalog-2': new FaultControl(), 'db-3': new FaultControl() };
}

describe('demoTimeline', () => {
  it('is slow, then errors, then recovery, at the preset times', () => {
    const steps = demoTimeline(timelinePresets.default);
    expect(steps.map((s) => [s.event, s.atMs])).toEqual([
      ['slow', 60_000],
      ['errors', 120_000],
      ['recover', 180_000],
    ]);
    expect(steps[0]?.faults).toEqual({ 'catalog-2': { extraLatencyMs: 250 } });
    expect(steps[1]?.faults).toEqual({ 'db-3': { errorRate: 0.5 } });
    expect(steps[2]?.faults).toEqual({ 'catalog-2': null, 'db-3': null });
    expect(steps[0]?.watch).toContain('catalog traffic');
    expect(steps[1]?.watch).toContain('names db');
  });

  it('compresses to 20/40/60 s with the fast preset and takes other targets', () => {
    const steps = demoTimeline(timelinePresets.fast, { slow: 'web-1', failing: 'cache' });
    expect(steps.map((s) => s.atMs)).toEqual([20_000, 40_000, 60_000]);
    expect(Object.keys(steps[2]?.faults ?? {})).toEqual(['web-1', 'cache']);
  });

  it('refuses times that do not increase', () => {
    expect(() => demoTimeline({ slowAtMs: 10, errorsAtMs: 10, recoverAtMs: 20 })).toThrow(
      /must increase/,
    );
  });
});

describe('runTimeline', () => {
  it('applies each step at its time, in order, and settles after the last', async () => {
    const { clock, advanceTo } = manualClock();
    const faults = fleetFaults();
    const seen: [string, number][] = [];
    const running = runTimeline(demoTimeline(timelinePresets.fast), {
      faults,
      clock,
      onStep: (step, elapsed) => seen.push([step.event, elapsed]),
    });
    advanceTo(19_999);
    expect(seen).toEqual([]);
    expect(faults['catalog-2'].current.extraLatencyMs).toBe(0);
    advanceTo(20_000);
    expect(seen).toEqual([['slow', 20_000]]);
    expect(faults['catalog-2'].current.extraLatencyMs).toBe(250);
    advanceTo(45_000);
    expect(faults['db-3'].current.errorRate).toBe(0.5);
    advanceTo(60_000);
    expect(seen.map(([event]) => event)).toEqual(['slow', 'errors', 'recover']);
    expect(faults['catalog-2'].current).toEqual({ extraLatencyMs: 0, errorRate: 0 });
    expect(faults['db-3'].current).toEqual({ extraLatencyMs: 0, errorRate: 0 });
    await running.done;
  });

  it('applies overdue steps at once and in order when the clock jumps past them', () => {
    const { clock, advanceTo } = manualClock();
    const seen: string[] = [];
    runTimeline(demoTimeline(timelinePresets.fast), {
      faults: fleetFaults(),
      clock,
      onStep: (step) => seen.push(step.event),
    });
    advanceTo(100_000);
    expect(seen).toEqual(['slow', 'errors', 'recover']);
  });

  it('stop() cancels the steps not yet applied and settles done', async () => {
    const { clock, advanceTo, pending } = manualClock();
    const faults = fleetFaults();
    const running = runTimeline(demoTimeline(timelinePresets.fast), { faults, clock });
    advanceTo(25_000);
    running.stop();
    expect(pending()).toBe(0);
    advanceTo(100_000);
    expect(faults['db-3'].current.errorRate).toBe(0);
    expect(faults['catalog-2'].current.extraLatencyMs).toBe(250);
    await running.done;
  });

  it('refuses a step naming an instance the fleet does not have, before anything runs', () => {
    const step: TimelineStep = {
      atMs: 0,
      event: 'slow',
      faults: { 'catalog-9': { extraLatencyMs: 1 } },
      what: '',
      watch: '',
    };
    expect(() => runTimeline([step], { faults: fleetFaults() })).toThrow(/catalog-9/);
  });
});
