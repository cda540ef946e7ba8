import { describe, expect, it } from 'vitest';
import { decide } from '../../stream-jobs/policy/math/decide.ts';
import { defaultPolicyOptions } from '../../stream-jobs/policy/options.ts';
import {
  clusterSpec,
  Driver,
  endpointName,
  observationOf,
  reasonsOf,
  type Seen,
  T0,
  weightsOf,
} from './policy-support.ts';

const ok: Seen = { requests: 50, latencyMs: 10 };
const healthy = (n: number): Seen[] => Array.from({ length: n }, () => ok);
const with1 = (n: number, index: number, seen: Seen): Seen[] =>
  healthy(n).map((s, i) => (i === index ? seen : s));

describe('decide', () => {
  it('serves the configured weights until statistics arrive', () => {
    const result = new Driver(clusterSpec(3, 5)).step({ seen: undefined });
    expect(weightsOf(result)).toEqual([5, 5, 5]);
    expect(reasonsOf(result)).toEqual(['stale', 'stale', 'stale']);
    expect(result.decision).toMatchObject({ cluster: 'llm', reason: 'stale', dataUpToMs: 0 });
    expect(result.changed).toBe(true);
  });

  it('gives identical endpoints full, equal weights, and reports no change after', () => {
    const driver = new Driver(clusterSpec(4));
    const first = driver.step({ seen: healthy(4) });
    expect(weightsOf(first)).toEqual([128, 128, 128, 128]);
    expect(first.decision.reason).toBe('adaptive');
    expect(first.decision.dataUpToMs).toBe(driver.nowMs - 2000);
    expect(first.decision.endpoints[0]?.previousWeight).toBe(1);
    expect(driver.step({ seen: healthy(4) }).changed).toBe(false);
  });

  it('keeps the configured proportions as the full weights', () => {
    const spec = {
      cluster: 'llm',
      staticWeights: new Map([
        [endpointName(0), 100],
        [endpointName(1), 50],
      ]),
    };
    expect(weightsOf(new Driver(spec).step({ seen: healthy(2) }))).toEqual([128, 64]);
  });

  it('steps a 5× slower endpoint down at most four levels an interval, to the floor', () => {
    const driver = new Driver(clusterSpec(4));
    const slow = with1(4, 1, { requests: 50, latencyMs: 50 });
    const weights = [1, 2, 3].map(() => weightsOf(driver.step({ seen: slow }))[1]);
    expect(weights).toEqual([32, 8, 8]);
    const inputs = driver.results[2]?.decision.endpoints[1]?.inputs;
    expect(inputs?.relativeCost).toBeCloseTo(5, 6);
    expect(inputs?.latencyMs).toBeCloseTo(50, 6);
  });

  it('ejects an endpoint that fails fast, below a slow healthy one', () => {
    const seen = [
      { requests: 50, errors: 25, latencyMs: 1 },
      { requests: 50, latencyMs: 40 },
      ok,
      ok,
    ];
    const result = new Driver(clusterSpec(4)).step({ seen });
    expect(weightsOf(result)).toEqual([0, 32, 128, 128]);
    expect(reasonsOf(result)).toEqual(['ejected', 'adaptive', 'adaptive', 'adaptive']);
  });

  it('ejects at most half of the endpoints; the failing rest go straight to the floor', () => {
    const options = { ...defaultPolicyOptions, panicThreshold: 1 };
    const failing = { requests: 50, errors: 40, latencyMs: 5 };
    const result = new Driver(clusterSpec(4), options).step({
      seen: [failing, failing, failing, ok],
    });
    expect(weightsOf(result)).toEqual([0, 0, 8, 128]);
  });

  it('never lets a failing endpoint set the reference the others are judged by', () => {
    const fastFailing = { requests: 50, errors: 10, latencyMs: 0.5 };
    const result = new Driver(clusterSpec(4)).repeat(3, { seen: [fastFailing, ok, ok, ok] });
    expect(weightsOf(result)).toEqual([0, 128, 128, 128]);
  });

  it('sends a failing endpoint left in for lack of ejection room straight to the floor', () => {
    // Endpoint 3 pinned to 0 takes one of the two places (2 of 4): only one failing endpoint
    // can go, the worse; the other must not keep a full weight while it waits.
    const pins = new Map([[endpointName(3), 0]]);
    const seen = [
      { requests: 50, errors: 50, latencyMs: 1 },
      { requests: 50, errors: 25, latencyMs: 1 },
      ok,
      ok,
    ];
    const result = new Driver(clusterSpec(4)).step({ seen, pins });
    expect(weightsOf(result)).toEqual([0, 8, 128, 0]);
    expect(reasonsOf(result)).toEqual(['ejected', 'adaptive', 'adaptive', 'pinned']);
  });

  it('stops ejecting and equalises when most endpoints look bad (panic guard)', () => {
    const failing = { requests: 50, errors: 40, latencyMs: 5 };
    const result = new Driver(clusterSpec(4)).step({ seen: [failing, failing, failing, ok] });
    expect(weightsOf(result)).toEqual([128, 128, 128, 128]);
    expect(result.decision.reason).toBe('panic');
    const twiceAsSlow = { requests: 50, latencyMs: 25 };
    const slow = new Driver(clusterSpec(4)).step({
      seen: [twiceAsSlow, twiceAsSlow, twiceAsSlow, ok],
    });
    expect(reasonsOf(slow)).toEqual(['panic', 'panic', 'panic', 'panic']);
  });

  it('brings an ejected endpoint back on probation at the probe weight, then up the ramp', () => {
    const driver = new Driver(clusterSpec(4));
    driver.step({ seen: with1(4, 0, { requests: 50, errors: 50, latencyMs: 1 }) });
    const out = driver.repeat(9, { seen: with1(4, 0, { requests: 0 }) });
    expect(weightsOf(out)[0]).toBe(0);
    const probation = driver.step({ seen: with1(4, 0, { requests: 0 }) });
    expect(weightsOf(probation)[0]).toBe(2);
    expect(reasonsOf(probation)[0]).toBe('recovering');
    const climb: number[] = [];
    for (let i = 0; i < 40; i++) {
      climb.push(
        weightsOf(driver.step({ seen: with1(4, 0, { requests: 5, latencyMs: 10 }) }))[0] ?? -1,
      );
    }
    expect(climb.at(-1)).toBe(128);
    // Probes until ten fresh requests (windows from its probation on) acquit it for 2 s, then
    // the floor: 2 s data lag + 2 windows of 5 + the 2-s hold.
    expect(climb.indexOf(8)).toBe(5);
    expect(climb.slice(0, 5).every((w) => w === 2)).toBe(true);
    const ladder = [8, 11, 16, 23, 32, 45, 64, 91, 128];
    const fromFloor = climb.slice(5);
    for (let i = 1; i < fromFloor.length; i++) {
      const step = ladder.indexOf(fromFloor[i] ?? -1) - ladder.indexOf(fromFloor[i - 1] ?? -1);
      expect(step === 0 || step === 1).toBe(true);
    }
    // One level per 2 s at most: eight levels take at least 16 s.
    expect(fromFloor.indexOf(128)).toBeGreaterThanOrEqual(16);
  });

  it('ejects again at once, and for longer, when the probe requests fail', () => {
    const driver = new Driver(clusterSpec(4));
    driver.step({ seen: with1(4, 0, { requests: 50, errors: 50, latencyMs: 1 }) });
    driver.repeat(10, { seen: with1(4, 0, { requests: 0 }) });
    // Windows ending before its probation is an interval old hold no probes (2 s data lag).
    const early = driver.repeat(2, { seen: with1(4, 0, { requests: 2, errors: 2, latencyMs: 1 }) });
    expect(reasonsOf(early)[0]).toBe('recovering');
    const again = driver.step({ seen: with1(4, 0, { requests: 2, errors: 2, latencyMs: 1 }) });
    expect(reasonsOf(again)[0]).toBe('ejected');
    expect(driver.state?.endpoints.get(endpointName(0))?.ejectedUntilMs).toBe(
      driver.nowMs + 20_000,
    );
  });

  it('puts an endpoint costing probeRelativeCost × the best on probation, and back when healed', () => {
    const driver = new Driver(clusterSpec(4));
    driver.repeat(5, { seen: healthy(4) });
    // Ten times slower on average (one request in ten takes a second): not ejectable (20×).
    const tail = driver.repeat(3, { seen: with1(4, 0, { requests: 50, latencyMs: 110 }) });
    expect(weightsOf(tail)).toEqual([2, 128, 128, 128]);
    expect(reasonsOf(tail)[0]).toBe('recovering');
    expect(driver.state?.endpoints.get(endpointName(0))).toMatchObject({ probation: true });
    // Still costly: stays on probation, whatever the time.
    const still = driver.repeat(30, { seen: with1(4, 0, { requests: 2, latencyMs: 110 }) });
    expect(weightsOf(still)[0]).toBe(2);
    // Healed: acquitted back to the floor once its fresh probes (memory minRequests) say so.
    const healed: number[] = [];
    for (let i = 0; i < 30; i++) {
      healed.push(
        weightsOf(driver.step({ seen: with1(4, 0, { requests: 2, latencyMs: 10 }) }))[0] ?? -1,
      );
    }
    expect(healed).toContain(8);
    expect(healed.slice(healed.indexOf(8)).every((w) => w >= 8)).toBe(true);
  });

  it('keeps probation within the ejection budget', () => {
    const slow = { requests: 50, latencyMs: 110 };
    const result = new Driver(clusterSpec(4)).repeat(3, { seen: [slow, slow, ok, ok] });
    expect(weightsOf(result)).toEqual([2, 2, 128, 128]);
    // Without the panic guard, the budget alone: 2 of 5, the failing one ejected first, then
    // one slow one on probation; the other slow one stays on the ladder, at the floor.
    const five = new Driver(clusterSpec(5), { ...defaultPolicyOptions, panicThreshold: 1 }).repeat(
      3,
      { seen: [{ requests: 50, errors: 50, latencyMs: 1 }, slow, slow, ok, ok] },
    );
    expect(weightsOf(five)).toEqual([0, 2, 8, 128, 128]);
  });

  it('lets pins win, stale or not', () => {
    const pins = new Map([
      [endpointName(0), 0],
      [endpointName(1), 40],
    ]);
    const driver = new Driver(clusterSpec(4));
    const stale = driver.step({ seen: undefined, pins });
    expect(weightsOf(stale)).toEqual([0, 40, 1, 1]);
    const fresh = driver.step({ seen: with1(4, 1, { requests: 50, errors: 50 }), pins });
    expect(weightsOf(fresh)).toEqual([0, 40, 128, 128]);
    expect(reasonsOf(fresh)).toEqual(['pinned', 'pinned', 'adaptive', 'adaptive']);
    expect(fresh.decision.reason).toBe('pinned');
  });

  it('never leaves every endpoint at 0 unless the operator pinned them all there', () => {
    const failing = { requests: 50, errors: 50, latencyMs: 1 };
    const driver = new Driver(clusterSpec(2));
    expect(weightsOf(driver.step({ seen: [ok, failing] }))).toEqual([128, 0]);
    const pinned = driver.step({
      seen: [ok, { requests: 0 }],
      pins: new Map([[endpointName(0), 0]]),
    });
    expect(weightsOf(pinned)).toEqual([0, 2]);
    expect(reasonsOf(pinned)).toEqual(['pinned', 'recovering']);
    const lone = new Driver(clusterSpec(2)).step({
      seen: [ok, failing],
      pins: new Map([[endpointName(0), 0]]),
    });
    expect(weightsOf(lone)).toEqual([0, 8]);
  });

  it('returns to the configured weights once the statistics are staleAfterMs old', () => {
    const driver = new Driver(clusterSpec(4));
    driver.repeat(5, { seen: with1(4, 2, { requests: 50, latencyMs: 60 }) });
    const lastData = driver.nowMs - 2000;
    const after: number[] = [];
    for (let i = 0; i < 6; i++) {
      const result = driver.step({ seen: undefined });
      if (result.decision.reason === 'stale') after.push(driver.nowMs - lastData);
    }
    expect(after[0]).toBe(6000);
    const stale = driver.results.at(-1);
    expect(stale && weightsOf(stale)).toEqual([1, 1, 1, 1]);
    expect(stale?.decision.dataUpToMs).toBe(0);
  });

  it('lowers endpoints whose dependencies are unhealthy', () => {
    const dependencyHealth = new Map([[endpointName(0), 0.3]]);
    const result = new Driver(clusterSpec(4)).repeat(3, { seen: healthy(4), dependencyHealth });
    expect(weightsOf(result)).toEqual([16, 128, 128, 128]);
    expect(result.decision.endpoints[0]?.inputs.dependencyHealth).toBeCloseTo(0.3, 9);
  });

  it('keeps the weights while traffic is too thin to judge', () => {
    const thin = Array.from({ length: 4 }, (_, i) => ({ requests: 2, latencyMs: 10 + 40 * i }));
    const result = new Driver(clusterSpec(4)).step({ seen: thin });
    expect(weightsOf(result)).toEqual([128, 128, 128, 128]);
    expect(reasonsOf(result)).toEqual(Array(4).fill('insufficient-data'));
  });

  it('passes dry-run through, ignores another cluster state, and follows config changes', () => {
    const spec = clusterSpec(3);
    const first = decide({
      spec,
      observation: observationOf(T0, healthy(3)),
      previous: undefined,
      pins: new Map(),
      nowMs: T0 + 2000,
      dryRun: true,
      options: defaultPolicyOptions,
    });
    expect(first.decision.dryRun).toBe(true);
    const other = { ...first.state, cluster: 'other' };
    const fresh = decide({
      spec: clusterSpec(2),
      observation: observationOf(T0 + 1000, healthy(2)),
      previous: other,
      pins: new Map(),
      nowMs: T0 + 3000,
      dryRun: false,
      options: defaultPolicyOptions,
    });
    expect(fresh.changed).toBe(true);
    const shrunk = decide({
      spec: clusterSpec(2),
      observation: observationOf(T0 + 1000, healthy(2)),
      previous: first.state,
      pins: new Map(),
      nowMs: T0 + 3000,
      dryRun: false,
      options: defaultPolicyOptions,
    });
    expect([...shrunk.state.endpoints.keys()]).toEqual([endpointName(0), endpointName(1)]);
    expect(shrunk.changed).toBe(true);
  });
});
