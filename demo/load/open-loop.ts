/**
 * An open-loop HTTP load generator: requests leave on a Poisson schedule whatever happens to
 * earlier ones, so a slow upstream cannot slow the offered load down (a closed-loop client
 * waits, sends less exactly when the system struggles, and hides the stall: "coordinated
 * omission"). Each latency is measured from the request's *intended* send time, so time spent
 * behind a late timer or a busy socket counts against the system, as a real user would see it.
 */

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { poissonArrivals } from './poisson.ts';

/** One request's outcome, as the listener receives it. */
export interface LoadResult {
  /** When it was meant to leave, ms since the epoch (fractional). */
  readonly intendedMs: number;
  /** From `intendedMs` to the end of the response, or to the failure or timeout. */
  readonly latencyMs: number;
  /** HTTP status; 0 = no response: timeout, refused or reset. */
  readonly status: number;
  /** The response's `upstreamHeader` (which backend answered), when it had one. */
  readonly upstream?: string;
}

/**
 * Options for {@link startOpenLoop}.
 * - `ratePerSecond` (number, required): mean arrivals per second (Poisson).
 * - `target` (() => { url, headers? }, required): asked once per request, so callers may vary
 *   the path or headers per request; `url` is `http:` only.
 * - `timeoutMs` (number, default 5000): a request still unanswered this long after its
 *   intended send time is abandoned (socket destroyed) and reported with status 0.
 * - `seed` (number, default 1): the arrival schedule's seed; same seed, same schedule.
 * - `durationMs` (number, default Infinity): stop scheduling after this long; else `stop()`.
 * - `startAtMs` (number, default now): wall time (ms since the epoch) of the schedule's origin,
 *   so several processes can agree on when a run starts.
 * - `maxSockets` (number, default 4096): keep-alive sockets to the target, at most. Keep it
 *   above rate × timeout: requests beyond it wait in the agent (still counted, from intent).
 * - `upstreamHeader` (string, default `x-backend`): response header naming the upstream.
 * - `onResult` ((LoadResult) => void, default none): called once per request, on completion.
 */
export interface OpenLoopOptions {
  ratePerSecond: number;
  target: () => { url: string | URL; headers?: Record<string, string> };
  timeoutMs?: number;
  seed?: number;
  durationMs?: number;
  startAtMs?: number;
  maxSockets?: number;
  upstreamHeader?: string;
  onResult?: (result: LoadResult) => void;
}

export interface OpenLoopSummary {
  /** Requests sent. */
  readonly sent: number;
  /** Requests that got a response (any status). */
  readonly answered: number;
  /** Requests with status 0 (timeout, refused, reset). */
  readonly failed: number;
  /** The most a send left after its intended time: above a few ms, the generator lagged. */
  readonly maxSendLagMs: number;
  /** The most requests in flight at once. */
  readonly maxInFlight: number;
}

export interface OpenLoop {
  /** Settles once the schedule has ended (duration or `stop()`) and nothing is in flight. */
  readonly finished: Promise<OpenLoopSummary>;
  /** Stops scheduling; resolves like `finished` (in-flight requests end by their timeout). */
  stop(): Promise<OpenLoopSummary>;
}

/** Wall-clock milliseconds with the monotonic clock's resolution and steadiness. */
export const clockMs = (): number => performance.timeOrigin + performance.now();

export function startOpenLoop(options: OpenLoopOptions): OpenLoop {
  const timeoutMs = options.timeoutMs ?? 5000;
  const durationMs = options.durationMs ?? Number.POSITIVE_INFINITY;
  const header = (options.upstreamHeader ?? 'x-backend').toLowerCase();
  const startAt = options.startAtMs ?? clockMs();
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 4096 });
  const arrivals = poissonArrivals(options.ratePerSecond, options.seed ?? 1);
  const stats = { sent: 0, answered: 0, failed: 0, maxSendLagMs: 0, maxInFlight: 0 };
  let inFlight = 0;
  let scheduling = true;
  let timer: NodeJS.Timeout | undefined;
  let resolveFinished!: (summary: OpenLoopSummary) => void;
  const finished = new Promise<OpenLoopSummary>((resolve) => {
    resolveFinished = resolve;
  });
  const settleIfDone = () => {
    if (scheduling || inFlight > 0) return;
    agent.destroy();
    resolveFinished({ ...stats });
  };
  const endSchedule = () => {
    scheduling = false;
    clearTimeout(timer);
    settleIfDone();
  };

  const send = (intendedMs: number) => {
    const sentAt = clockMs();
    stats.sent += 1;
    stats.maxSendLagMs = Math.max(stats.maxSendLagMs, sentAt - intendedMs);
    stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
    const { url, headers } = options.target();
    let done = false;
    const finish = (status: number, upstream?: string) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      inFlight -= 1;
      if (status === 0) stats.failed += 1;
      else stats.answered += 1;
      const latencyMs = clockMs() - intendedMs;
      options.onResult?.({ intendedMs, latencyMs, status, ...(upstream && { upstream }) });
      settleIfDone();
    };
    const request = http.request(url, { agent, headers }, (response) => {
      const value = response.headers[header];
      const upstream = Array.isArray(value) ? value[0] : value;
      response.resume();
      response.on('end', () => finish(response.statusCode ?? 0, upstream));
      response.on('error', () => finish(0));
    });
    request.on('error', () => finish(0));
    // The deadline runs from the intended time, like the latency: a late send has less time left.
    // setTimeout counts whole milliseconds on its own clock and can fire a fraction early on this
    // one: re-arm for the rest, so no request is abandoned before its deadline.
    const dueMs = intendedMs + timeoutMs;
    const expire = () => {
      const left = dueMs - clockMs();
      if (left > 0) {
        deadline = setTimeout(expire, Math.ceil(left));
        return;
      }
      finish(0);
      request.destroy();
    };
    let deadline = setTimeout(expire, Math.max(0, dueMs - sentAt));
    request.end();
  };

  let next = startAt + (arrivals.next().value as number);
  const tick = () => {
    if (!scheduling) return;
    const now = clockMs();
    // Everything due goes now, each stamped with its own intended time (catch-up after a stall).
    while (next <= now) {
      if (next - startAt >= durationMs) return endSchedule();
      send(next);
      next = startAt + (arrivals.next().value as number);
    }
    if (next - startAt >= durationMs) {
      timer = setTimeout(endSchedule, Math.max(0, startAt + durationMs - now));
      return;
    }
    timer = setTimeout(tick, Math.max(0, next - now));
  };
  tick();

  return {
    finished,
    stop() {
      endSchedule();
      return finished;
    },
  };
}
