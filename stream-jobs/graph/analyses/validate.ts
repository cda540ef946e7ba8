import { type Horizon, horizons, type ServiceGraph } from '../model.ts';
import { GraphAnalysisError, quote, unknownNode } from './errors.ts';

/**
 * Argument checks shared by the analyses. They run on every call because the API hands user
 * input straight through; each failure is a {@link GraphAnalysisError} naming the method.
 */

export type Quantile = 'p50' | 'p90' | 'p99' | 'p999';
export const quantiles: readonly Quantile[] = ['p50', 'p90', 'p99', 'p999'];

export function checkHorizon(method: string, value: unknown, name = 'horizon'): Horizon {
  if (value === undefined) return '5m';
  if ((horizons as readonly unknown[]).includes(value)) return value as Horizon;
  throw new GraphAnalysisError(
    method,
    'INVALID_HORIZON',
    value,
    `invalid ${name} ${quote(value)} (expected one of ${horizons.join(', ')}).`,
  );
}

export function checkNode(graph: ServiceGraph, method: string, node: unknown): string {
  if (typeof node !== 'string' || !graph.hasNode(node)) throw unknownNode(method, node);
  return node;
}

/** Params must be an object; `required` names the string fields that must be present. */
export function checkParams<T extends object>(
  method: string,
  params: unknown,
  required: readonly string[] = [],
): T {
  if (params === undefined && required.length === 0) return {} as T;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new GraphAnalysisError(
      method,
      'INVALID_PARAMS',
      params,
      `params must be an object, got ${quote(params)}.`,
    );
  }
  for (const field of required) {
    if (!(field in params)) {
      throw new GraphAnalysisError(
        method,
        'INVALID_PARAMS',
        params,
        `params ${quote(params)} lack the field ${quote(field)}.`,
      );
    }
  }
  return params as T;
}

function invalidOption(method: string, name: string, value: unknown, expected: string) {
  return new GraphAnalysisError(
    method,
    'INVALID_OPTION',
    value,
    `invalid option ${name} ${quote(value)} (expected ${expected}).`,
  );
}

/** `field` of params, or (`isParam` false, the default) an option, must be one of `allowed`. */
export function checkEnum<T extends string>(
  method: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  isParam = false,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  const expected = `one of ${allowed.join(', ')}`;
  if (!isParam) throw invalidOption(method, name, value, expected);
  const detail = `invalid param ${name} ${quote(value)} (expected ${expected}).`;
  throw new GraphAnalysisError(method, 'INVALID_PARAMS', value, detail);
}

export interface NumberRule {
  min?: number;
  max?: number;
  /** Exclude `min` itself. */
  above?: boolean;
  integer?: boolean;
}

export function checkNumber(
  method: string,
  name: string,
  value: unknown,
  fallback: number,
  rule: NumberRule = {},
): number {
  if (value === undefined) return fallback;
  const { min = -Infinity, max = Infinity, above = false, integer = false } = rule;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (above ? value > min : value >= min) &&
    value <= max &&
    (!integer || Number.isInteger(value) || value === Infinity);
  if (ok) return value;
  const range = `${above ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`;
  throw invalidOption(method, name, value, `${integer ? 'an integer' : 'a number'} ${range}`);
}

export function checkBoolean(method: string, name: string, value: unknown, fallback: boolean) {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw invalidOption(method, name, value, 'a boolean');
}

/** A record of positive numbers keyed by node (e.g. capacities). */
export function checkNumberRecord(
  method: string,
  name: string,
  value: unknown,
): Record<string, number> {
  if (value === undefined) return {};
  const valid =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v));
  if (valid) return value as Record<string, number>;
  throw invalidOption(method, name, value, 'an object of positive finite numbers');
}
