import { describe, expect, it } from 'vitest';
import {
  defaultPolicyOptions,
  PolicyOptionsError,
  parsePolicyOptions,
} from '../../stream-jobs/policy/options.ts';

describe('parsePolicyOptions', () => {
  it('gives the defaults for nothing, frozen', () => {
    expect(parsePolicyOptions(undefined)).toEqual(defaultPolicyOptions);
    expect(parsePolicyOptions({})).toEqual(defaultPolicyOptions);
    expect(Object.isFrozen(defaultPolicyOptions)).toBe(true);
  });

  it('lays the given keys over the defaults and freezes the result', () => {
    const options = parsePolicyOptions({ minWeight: 4, staleAfterMs: 8000 });
    expect(options).toEqual({ ...defaultPolicyOptions, minWeight: 4, staleAfterMs: 8000 });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('refuses unknown keys, naming them and the known ones', () => {
    expect(() => parsePolicyOptions({ minWieght: 4 })).toThrow(PolicyOptionsError);
    expect(() => parsePolicyOptions({ minWieght: 4 })).toThrow(
      /unknown key 'minWieght' \(known: intervalMs, halfLifeMs/,
    );
  });

  it.each([
    ['minWeight', 0, 'minWeight must be an integer from 1 to 128, got 0'],
    ['minWeight', 129, 'got 129'],
    ['minWeight', 2.5, 'got 2.5'],
    ['halfLifeMs', -1, 'halfLifeMs must be a number > 0, got -1'],
    ['ejectErrorRate', 1.5, 'ejectErrorRate must be a number from 0 to 1, got 1.5'],
    ['tolerance', '0.2', 'tolerance must be a number ≥ 0, got "0.2"'],
    ['staleAfterMs', null, 'staleAfterMs must be a number > 0, got null'],
    ['ejectRelativeCost', 1, 'ejectRelativeCost must be a number > 1, got 1'],
    ['deadBandLevels', 3, 'deadBandLevels must be a number from 0 to 2, got 3'],
    ['levelsPerHalving', 9, 'got 9'],
    ['costExponent', Number.NaN, 'costExponent must be a number > 0, got NaN'],
  ])('refuses %s = %s, quoting the value', (key, value, message) => {
    expect(() => parsePolicyOptions({ [key]: value })).toThrow(message);
  });

  it('checks options against each other', () => {
    expect(() => parsePolicyOptions({ ejectionMs: 30_000 })).toThrow(
      'maxEjectionMs must be ≥ ejectionMs (30000), got 20000',
    );
    expect(() => parsePolicyOptions({ minRequests: 50 })).toThrow(
      'memoryRequests must be ≥ minRequests (50), got 30',
    );
    expect(() => parsePolicyOptions({ probeWeight: 9 })).toThrow(
      'probeWeight must be ≤ minWeight (8), got 9',
    );
    expect(() => parsePolicyOptions({ probeRelativeCost: 1 })).toThrow(
      'probeRelativeCost must be a number > 1, got 1',
    );
  });

  it('refuses what is not an object', () => {
    expect(() => parsePolicyOptions([1])).toThrow('policy options must be an object, got [1]');
    expect(() => parsePolicyOptions('fast')).toThrow('got "fast"');
  });
});
