import type { Reader, Val } from './reader.ts';
import type { RetryConfig } from './types.ts';

/** Envoy's retry_on conditions: the HTTP ones and the gRPC status ones a route also accepts. */
const retryConditions = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];

/**
 * Absent → no retries. Every retry policy carries a budget: without one a struggling
 * upstream gets `attempts` times its load exactly when it can least take it.
 */
export function readRetries(
  r: Reader,
  v: Val | undefined,
  timeoutMs: number,
): RetryConfig | undefined {
  const fields = r.map(v, ['on', 'attempts', 'perTryTimeout', 'budget']);
  if (fields === undefined) return undefined;
  const on = readConditions(r, fields.get('on'));
  const perTryVal = fields.get('perTryTimeout');
  const perTryTimeoutMs = r.duration(perTryVal);
  if (perTryVal !== undefined && perTryTimeoutMs !== undefined && perTryTimeoutMs > timeoutMs) {
    r.fail(
      perTryVal,
      `perTryTimeout ${perTryTimeoutMs}ms is longer than the route timeout ${timeoutMs}ms, so it would never fire`,
    );
  }
  const budget = r.map(fields.get('budget'), ['percent', 'minConcurrency']);
  return {
    on,
    // Envoy's num_retries: retries after the first try, Envoy's default 1.
    attempts: r.int(fields.get('attempts'), 1, 10) ?? 1,
    ...(perTryTimeoutMs !== undefined && { perTryTimeoutMs }),
    budgetPercent: r.positive(budget?.get('percent'), 100) ?? 20,
    minRetryConcurrency: r.int(budget?.get('minConcurrency'), 0, 4_294_967_295) ?? 3,
  };
}

/** Comma-separated conditions, normalized to no spaces; default: failures safe to retry. */
function readConditions(r: Reader, v: Val | undefined): string {
  const text = r.str(v);
  if (v === undefined || text === undefined) return '5xx,reset,connect-failure,refused-stream';
  const conditions = text.split(',').map((part) => part.trim());
  for (const condition of conditions) {
    if (!retryConditions.includes(condition)) {
      r.fail(v, `unknown retry condition '${condition}'; known: ${retryConditions.join(', ')}`);
    }
  }
  return conditions.join(',');
}
