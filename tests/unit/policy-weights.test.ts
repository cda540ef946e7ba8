import { describe, expect, it } from 'vitest';
import {
  baseWeights,
  floorWeight,
  maxLevel,
  stepLevel,
  wantedLevel,
  weightAt,
} from '../../stream-jobs/policy/math/weights.ts';
import { defaultPolicyOptions as options } from '../../stream-jobs/policy/options.ts';

describe('policy weight ladder', () => {
  it('scales the configured weights so the largest is 128, keeping proportions', () => {
    const bases = baseWeights(
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
    );
    expect([...bases.values()]).toEqual([128, 128]);
    const uneven = baseWeights(
      new Map([
        ['a', 100],
        ['b', 50],
        ['c', 1],
      ]),
    );
    expect([...uneven.values()]).toEqual([128, 64, 1]);
    expect([...baseWeights(new Map([['a', 0]])).values()]).toEqual([128]);
  });

  it('steps by √2 from the base down to the floor', () => {
    const ladder = Array.from({ length: 11 }, (_, level) => weightAt(128, level, options));
    expect(ladder).toEqual([128, 91, 64, 45, 32, 23, 16, 11, 8, 8, 8]);
    expect(maxLevel(128, options)).toBe(8);
    expect(maxLevel(64, options)).toBe(6);
  });

  it('keeps a lighter-than-floor endpoint at its own weight', () => {
    expect(floorWeight(3, options)).toBe(3);
    expect(weightAt(3, 5, options)).toBe(3);
    expect(maxLevel(3, options)).toBe(0);
  });

  it('holds inside the dead-band, but always returns to full weight at target 0', () => {
    expect(wantedLevel(0, 0.9, 8, options)).toBe(0);
    expect(wantedLevel(0, 1.2, 8, options)).toBe(1);
    expect(wantedLevel(3, 2.2, 8, options)).toBe(3);
    expect(wantedLevel(3, 1.9, 8, options)).toBe(2);
    expect(wantedLevel(1, 0.4, 8, options)).toBe(1);
    expect(wantedLevel(1, 0, 8, options)).toBe(0);
    expect(wantedLevel(0, 40, 8, options)).toBe(8);
  });

  it('falls at most maxStepDownLevels, climbs one level when the ramp allows', () => {
    expect(stepLevel(0, 8, false, options)).toEqual({ level: 4, raised: false, climbing: false });
    expect(stepLevel(4, 8, false, options)).toEqual({ level: 8, raised: false, climbing: false });
    expect(stepLevel(8, 0, true, options)).toEqual({ level: 7, raised: true, climbing: true });
    expect(stepLevel(8, 0, false, options)).toEqual({ level: 8, raised: false, climbing: true });
    expect(stepLevel(1, 0, true, options)).toEqual({ level: 0, raised: true, climbing: false });
    expect(stepLevel(3, 3, true, options)).toEqual({ level: 3, raised: false, climbing: false });
  });
});
