import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxEndpointWeight, weightAt } from '../../stream-jobs/policy/math/weights.ts';
import {
  defaultPolicyOptions as options,
  type PolicyOptions,
} from '../../stream-jobs/policy/options.ts';
import type { ClusterSpec } from '../../stream-jobs/policy/types.ts';
import { clusterSpec, Driver, endpointName, type Seen, weightsOf } from './policy-support.ts';

/** One endpoint's interval, biased towards the cases that matter: healthy, failing, slow. */
const seenArb = (maxErrorShare = 1, minRequests = 0): fc.Arbitrary<Seen> =>
  fc
    .record({
      requests: fc.oneof(
        fc.integer({ min: minRequests, max: 300 }),
        fc.integer({ min: minRequests, max: Math.max(minRequests, 12) }),
      ),
      errorShare: fc.oneof(
        fc.constant(0),
        fc.double({ min: 0, max: maxErrorShare, noNaN: true }),
        fc.constant(maxErrorShare),
      ),
      latencyMs: fc.oneof(
        fc.double({ min: 8, max: 12, noNaN: true }),
        fc.double({ min: 0.1, max: 3000, noNaN: true }),
      ),
    })
    .map(({ requests, errorShare, latencyMs }) => ({
      requests,
      errors: Math.floor(requests * errorShare),
      latencyMs,
    }));

/** A pin, often to 0 (the interesting one for the ejection budget), or none. */
const pinArb = fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 128 })), {
  freq: 2,
});

const many = <T>(arb: fc.Arbitrary<T>, n: number) => fc.array(arb, { minLength: n, maxLength: n });

/**
 * Any history, in stretches of identical intervals (as faults come and go): some without
 * statistics, irregular ticks, pins coming and going.
 */
const historyArb = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    statics: fc.oneof(many(fc.constant(1), n), many(fc.integer({ min: 1, max: 128 }), n)),
    pins: many(pinArb, n),
    steps: fc
      .array(
        fc.record({
          seen: fc.option(many(seenArb(), n), { freq: 6 }),
          health: fc.option(many(fc.double({ min: 0, max: 1, noNaN: true }), n), { freq: 2 }),
          advanceMs: fc.oneof(fc.constant(1000), fc.integer({ min: 0, max: 9000 })),
          pinned: fc.boolean(),
          repeat: fc.integer({ min: 1, max: 15 }),
        }),
        { minLength: 1, maxLength: 8 },
      )
      .map((stretches) => stretches.flatMap((s) => Array.from({ length: s.repeat }, () => s))),
  }),
);

type History = typeof historyArb extends fc.Arbitrary<infer H> ? H : never;

function specOf(statics: readonly number[]): ClusterSpec {
  return {
    cluster: 'llm',
    staticWeights: new Map(statics.map((w, i) => [endpointName(i), w])),
  };
}

function pinsOf(pins: readonly (number | null)[]): Map<string, number> {
  const map = new Map<string, number>();
  pins.forEach((pin, i) => {
    if (pin !== null) map.set(endpointName(i), pin);
  });
  return map;
}

const healthOf = (health: readonly number[] | null) =>
  health === null ? undefined : new Map(health.map((h, i) => [endpointName(i), h]));

/** Replays a history; `check` sees every decision with the pins and the data age in force. */
function replay(
  h: History,
  check: (weights: number[], ctx: { pins: Map<string, number>; stale: boolean; d: Driver }) => void,
  policy: PolicyOptions = options,
) {
  const d = new Driver(specOf(h.statics), policy);
  const allPins = pinsOf(h.pins);
  let lastData = Number.NEGATIVE_INFINITY;
  for (const step of h.steps) {
    const pins = step.pinned ? allPins : new Map<string, number>();
    const result = d.step({
      seen: step.seen ?? undefined,
      pins,
      dependencyHealth: healthOf(step.health),
      advanceMs: step.advanceMs,
    });
    if (step.seen !== null) lastData = d.nowMs - d.lagMs;
    check(weightsOf(result), { pins, stale: d.nowMs - lastData > options.staleAfterMs, d });
  }
}

describe('policy properties', () => {
  it.each([
    ['the defaults', options],
    ['no panic guard (the ejection budget alone)', { ...options, panicThreshold: 1 }],
  ])(
    'weights are integers 0..128, pins exact, never all zero, ejections within half, stale → static (%s)',
    (_, policy) => {
      fc.assert(
        fc.property(historyArb, (h) => {
          replay(
            h,
            (weights, { pins, stale, d }) => {
              const decision = d.results.at(-1)?.decision;
              for (const w of weights) expect(Number.isInteger(w) && w >= 0 && w <= 128).toBe(true);
              weights.forEach((w, i) => {
                const pin = pins.get(endpointName(i));
                if (pin !== undefined) expect(w).toBe(pin);
                else if (stale) expect(w).toBe(h.statics[i]);
              });
              const allPinnedToZero = weights.every((_, i) => pins.get(endpointName(i)) === 0);
              if (!allPinnedToZero) expect(weights.some((w) => w > 0)).toBe(true);
              const ejected = decision?.endpoints.filter((e) => e.reason === 'ejected').length ?? 0;
              expect(ejected).toBeLessThanOrEqual(Math.floor(h.n / 2));
              // Probation (the probe weight) shares the ejection budget: it carries next to nothing.
              const condemned = decision?.endpoints.filter(
                (e) => e.reason === 'ejected' || d.state?.endpoints.get(e.endpoint)?.probation,
              ).length;
              if (pins.size === 0 && !stale) {
                expect(condemned).toBeLessThanOrEqual(Math.floor(h.n * policy.maxEjectedShare));
              }
              if (stale) expect(decision?.dataUpToMs).toBe(0);
            },
            policy,
          );
        }),
        { numRuns: 300 },
      );
    },
  );

  it('respects the step cap and the ramp between adaptive decisions', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const spec = specOf(h.statics);
        const bases = [...spec.staticWeights.values()].map((w) =>
          Math.max(1, Math.round((maxEndpointWeight * w) / Math.max(...h.statics))),
        );
        const floorOf = (i: number) => Math.min(options.minWeight, bases[i] ?? 1);
        const levelOf = (i: number, w: number) => {
          let level = 0;
          while (weightAt(bases[i] ?? 1, level, options) > w) level++;
          return level;
        };
        const lastRaise = new Map<number, number>();
        const moving = new Set(['adaptive', 'recovering', 'insufficient-data']);
        let previous: { weights: number[]; reasons: string[] } | undefined;
        replay({ ...h, pins: h.pins.map(() => null) }, (weights, { d }) => {
          const endpoints = d.results.at(-1)?.decision.endpoints ?? [];
          const reasons = endpoints.map((e) => e.reason);
          endpoints.forEach((e, i) => {
            const before = previous?.weights[i];
            if (before === undefined || !moving.has(previous?.reasons[i] ?? '')) return;
            if (!moving.has(e.reason) || e.inputs.errorRate >= options.ejectErrorRate) return;
            // Probation (the probe weight, under the floor) is entered and left like an
            // ejection, outside the ladder's steps; the probe weight itself never moves.
            if (before < floorOf(i) || e.weight < floorOf(i)) {
              if (before < floorOf(i) && e.weight < floorOf(i)) expect(e.weight).toBe(before);
              if (e.weight < floorOf(i))
                expect(e.weight).toBe(Math.min(options.probeWeight, floorOf(i)));
              return;
            }
            const delta = levelOf(i, e.weight) - levelOf(i, before);
            expect(delta).toBeLessThanOrEqual(options.maxStepDownLevels);
            expect(delta).toBeGreaterThanOrEqual(-1);
            if (delta === -1) {
              expect(d.nowMs - (lastRaise.get(i) ?? -Infinity)).toBeGreaterThanOrEqual(
                options.rampStepMs,
              );
              lastRaise.set(i, d.nowMs);
            }
          });
          previous = { weights, reasons };
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a constant input converges, then never changes', () => {
    const calmArb = fc.integer({ min: 2, max: 6 }).chain((n) =>
      fc.record({
        before: fc.array(many(seenArb(), n), { maxLength: 30 }),
        latencyMs: fc.double({ min: 1, max: 500, noNaN: true }),
        seen: many(
          fc.record({
            requests: fc.integer({ min: 40, max: 300 }),
            errorShare: fc.double({ min: 0, max: 0.05, noNaN: true }),
            slower: fc.double({ min: 1, max: 4, noNaN: true }),
            health: fc.double({ min: 0.8, max: 1, noNaN: true }),
          }),
          n,
        ),
      }),
    );
    fc.assert(
      fc.property(calmArb, ({ before, latencyMs, seen }) => {
        const d = new Driver(clusterSpec(seen.length));
        for (const s of before) d.step({ seen: s });
        const constant = seen.map((s) => ({
          requests: s.requests,
          errors: Math.floor(s.requests * s.errorShare),
          latencyMs: latencyMs * s.slower,
        }));
        const dependencyHealth = new Map(seen.map((s, i) => [endpointName(i), s.health]));
        const settled: number[][] = [];
        for (let t = 0; t < 90; t++) {
          const result = d.step({ seen: constant, dependencyHealth });
          if (t >= 70) {
            expect(result.changed).toBe(false);
            settled.push(weightsOf(result));
          }
        }
        expect(new Set(settled.map((w) => w.join('/'))).size).toBe(1);
      }),
    );
  });

  it('an endpoint that costs strictly more never gets more weight (same traffic, no pins)', () => {
    const costlyArb = fc.integer({ min: 2, max: 6 }).chain((n) =>
      fc.record({
        requests: fc.integer({ min: options.minRequests, max: 300 }),
        endpoints: many(
          fc.record({
            errorShare: fc.double({ min: 0, max: 0.19, noNaN: true }),
            latencyMs: fc.double({ min: 0.1, max: 3000, noNaN: true }),
            health: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          n,
        ),
      }),
    );
    fc.assert(
      fc.property(costlyArb, ({ requests, endpoints }) => {
        const seen = endpoints.map((e) => ({
          requests,
          errors: Math.floor(requests * e.errorShare),
          latencyMs: e.latencyMs,
        }));
        const cost = seen.map(
          (s, i) =>
            Math.max(1, s.latencyMs) *
            (1 + options.errorPenalty * (s.errors / requests)) *
            (1 + options.dependencyPenalty * (1 - (endpoints[i]?.health ?? 1))),
        );
        const dependencyHealth = new Map(endpoints.map((e, i) => [endpointName(i), e.health]));
        const d = new Driver(clusterSpec(seen.length));
        const cheapest = Math.min(...cost);
        for (let t = 0; t < 40; t++) {
          const result = d.step({ seen, dependencyHealth });
          const weights = weightsOf(result);
          // …and it does respond: far costlier than the best means far less weight (unless panic).
          if (t >= 2 && result.decision.reason !== 'panic') {
            cost.forEach((c, i) => {
              if (c > 8 * cheapest) expect(weights[i]).toBeLessThanOrEqual(16);
            });
          }
          for (let i = 0; i < seen.length; i++) {
            for (let j = 0; j < seen.length; j++) {
              if ((cost[i] ?? 0) > (cost[j] ?? 0) * (1 + 1e-9)) {
                expect(weights[i]).toBeLessThanOrEqual(weights[j] ?? 0);
              }
            }
          }
        }
      }),
    );
  });

  it('a fast-failing endpoint never outweighs a healthy slower one (pins on others)', () => {
    const sinkholeArb = fc.integer({ min: 2, max: 6 }).chain((n) =>
      fc.record({
        failing: fc.record({
          requests: fc.integer({ min: options.minRequests, max: 300 }),
          errorShare: fc.double({ min: options.ejectErrorRate, max: 1, noNaN: true }),
          latencyMs: fc.double({ min: 0.1, max: 50, noNaN: true }),
        }),
        slowerBy: fc.double({ min: 1, max: 100, noNaN: true }),
        healthyRequests: fc.integer({ min: options.minRequests, max: 300 }),
        others: many(seenArb(1, options.minRequests), n - 1),
        peerPins: many(pinArb, n - 1),
      }),
    );
    fc.assert(
      fc.property(sinkholeArb, ({ failing, slowerBy, healthyRequests, others, peerPins }) => {
        const f = {
          requests: failing.requests,
          errors: Math.ceil(failing.requests * failing.errorShare),
          latencyMs: failing.latencyMs,
        };
        const hLatency = Math.max(1, failing.latencyMs) * slowerBy;
        const h = { requests: healthyRequests, errors: 0, latencyMs: hLatency };
        // "Slow but OK": within the ejection bound of every healthy peer, so not ejectable itself.
        const peers = others.map((o) =>
          (o.errors ?? 0) >= options.ejectErrorRate * o.requests
            ? o
            : { ...o, latencyMs: Math.max(o.latencyMs ?? 1, hLatency / 15) },
        );
        const d = new Driver(clusterSpec(peers.length + 2));
        const pins = pinsOf([null, null, ...peerPins]);
        for (let t = 0; t < 60; t++) {
          const [wf, wh] = weightsOf(d.step({ seen: [f, h, ...peers], pins }));
          expect(wf).toBeLessThanOrEqual(wh ?? 0);
        }
      }),
    );
  });

  it('endpoints that all look the same get the same weight', () => {
    const sameArb = fc.record({
      n: fc.integer({ min: 1, max: 6 }),
      steps: fc.array(
        fc.record({
          seen: fc.option(seenArb(), { freq: 6 }),
          advanceMs: fc.oneof(fc.constant(1000), fc.integer({ min: 0, max: 9000 })),
        }),
        { minLength: 1, maxLength: 60 },
      ),
    });
    fc.assert(
      fc.property(sameArb, ({ n, steps }) => {
        const d = new Driver(clusterSpec(n));
        for (const step of steps) {
          const seen = step.seen === null ? undefined : Array.from({ length: n }, () => step.seen);
          const weights = weightsOf(
            d.step({ seen: seen as Seen[] | undefined, advanceMs: step.advanceMs }),
          );
          expect(new Set(weights).size).toBe(1);
        }
      }),
    );
  });
});
