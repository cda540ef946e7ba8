/**
 * Sending one batch until it is delivered: retriable failures are retried with capped
 * exponential backoff, for as long as it takes (the batch keeps its place and its memory, so the
 * batcher's bound turns a long outage into backpressure, not loss). The first non-retriable
 * failure ends it.
 */

/**
 * Options for {@link sendWithRetry}.
 * - `isRetriable` ((error) => boolean, required): whether to send again after `error`.
 * - `initialMs` (number, required), `maxMs` (number, required): the first backoff and its cap;
 *   each retry doubles it.
 * - `signal` (AbortSignal, default none): aborting stops waiting and retrying (shutdown gave up).
 * - `onRetry` ((error, attempt, delayMs) => void, default none): before each backoff.
 */
export interface RetryOptions {
  isRetriable: (error: unknown) => boolean;
  initialMs: number;
  maxMs: number;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export type SendOutcome =
  | { outcome: 'sent'; seconds: number }
  | { outcome: 'failed'; error: unknown }
  | { outcome: 'aborted' };

/** Calls `send` until it resolves, fails for good or `signal` aborts. */
export async function sendWithRetry(
  send: () => Promise<void>,
  options: RetryOptions,
): Promise<SendOutcome> {
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) return { outcome: 'aborted' };
    const started = performance.now();
    try {
      await send();
      return { outcome: 'sent', seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      if (signal?.aborted) return { outcome: 'aborted' };
      if (!options.isRetriable(error)) return { outcome: 'failed', error };
      const delayMs = Math.min(options.maxMs, options.initialMs * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Whether `promise` settles within `ms`; its timer never outlives the answer. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
