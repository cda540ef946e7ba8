import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import type { CompactSketch } from './compact-sketch.ts';
import { defaultHealthOptions, type HealthOptions } from './health.ts';
import { horizonMs, horizons } from './model.ts';
import type { SketchDecoder } from './sketch-codec.ts';

/**
 * Options for {@link GraphFold} (fold.ts).
 * - `windowSeconds` (number, default 10): the one EdgeStats window length folded; the rollup
 *   also emits 1-s windows, which are ignored (counted as `windowSize`). 10 s because the
 *   horizons start at 1 m, ClickHouse keeps the same 10-s windows (so history.ts agrees window
 *   for window), and it is a tenth of the messages and dedup entries.
 * - `bucketsPerHorizon` (number, default 6): latency ring buckets per horizon (sketch-ring.ts):
 *   10 s, 50 s and 10 min wide. Each bucket width must be a multiple of the window length.
 *   More buckets track the horizon more tightly and hold more sketches.
 * - `lagMs` (number, default 20,000): how far behind `advance(nowMs)` the clock may stay. A
 *   10-s window reaches Kafka after it closes plus the rollup's flush; a clock at wall time
 *   would decay every edge for up to that long before its window arrives (a saw-tooth of up to
 *   −30% on 1 m rates). While windows flow the clock follows the newest window end; when they
 *   stop it follows nowMs − lagMs, so silent edges still decay.
 * - `maxFutureMs` (number, default 60,000): windows starting later than this after the latest
 *   `advance(nowMs)` are ignored (`future`): one producer with a wrong clock must not drag the
 *   fold's clock forward and decay every other edge.
 * - `expireAfterMs` (number, default 3,600,000): an edge with no window for this long is
 *   removed, and so is a node left without edges.
 * - `statsEventIntervalMs` (number, default 1,000): at most one `edge-stats` change per edge
 *   per this much fold time (events.ts).
 * - `health` (Partial<HealthOptions>, default {@link defaultHealthOptions}): health thresholds.
 * - `onListenerError` ((error: unknown) => void, default rethrow from a microtask): receives
 *   what a change listener threw.
 */
export interface GraphFoldOptions {
  windowSeconds?: number;
  bucketsPerHorizon?: number;
  lagMs?: number;
  maxFutureMs?: number;
  expireAfterMs?: number;
  statsEventIntervalMs?: number;
  health?: Partial<HealthOptions>;
  onListenerError?: (error: unknown) => void;
}

export type ResolvedFoldOptions = Required<Omit<GraphFoldOptions, 'health' | 'onListenerError'>> &
  Pick<GraphFoldOptions, 'onListenerError'> & { health: HealthOptions };

/** Why a window was left out (see GraphFoldOptions); a self-call has no place in the graph. */
export type IgnoreReason = 'windowSize' | 'perInstance' | 'tooOld' | 'future' | 'selfLoop';

export interface FoldCounters {
  folded: number;
  duplicates: number;
  ignored: Record<IgnoreReason, number>;
  /** Windows the replay guard remembers, and latency sketches held: the memory that grows. */
  windowsRemembered: number;
  sketches: number;
}

/** A window or an option the fold refuses; the message names the method and the value. */
export class GraphFoldError extends Error {
  override name = 'GraphFoldError';
}

export function resolveFoldOptions(options: GraphFoldOptions): ResolvedFoldOptions {
  const resolved: ResolvedFoldOptions = {
    windowSeconds: options.windowSeconds ?? 10,
    bucketsPerHorizon: options.bucketsPerHorizon ?? 6,
    lagMs: options.lagMs ?? 20_000,
    maxFutureMs: options.maxFutureMs ?? 60_000,
    expireAfterMs: options.expireAfterMs ?? 3_600_000,
    statsEventIntervalMs: options.statsEventIntervalMs ?? 1_000,
    health: { ...defaultHealthOptions, ...options.health },
    onListenerError: options.onListenerError,
  };
  for (const name of ['windowSeconds', 'bucketsPerHorizon'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] <= 0) {
      throw new GraphFoldError(
        `GraphFold: ${name} must be a positive integer, got ${resolved[name]}`,
      );
    }
  }
  for (const name of ['lagMs', 'maxFutureMs', 'expireAfterMs', 'statsEventIntervalMs'] as const) {
    if (!(resolved[name] >= 0)) {
      throw new GraphFoldError(`GraphFold: ${name} must be a number ≥ 0, got ${resolved[name]}`);
    }
  }
  for (const h of horizons) {
    const bucketMs = horizonMs[h] / resolved.bucketsPerHorizon;
    if (bucketMs % (resolved.windowSeconds * 1000) !== 0) {
      throw new GraphFoldError(
        `GraphFold: bucketsPerHorizon ${resolved.bucketsPerHorizon} makes ${h} buckets of ${bucketMs} ms, not a multiple of the ${resolved.windowSeconds}-s window`,
      );
    }
  }
  return resolved;
}

/** `frontend→catalog [10.0.0.1:8080] window 2026-01-01T00:00:00.000Z/10s`, for error messages. */
export function describeWindow(stats: EdgeStats): string {
  const endpoint = stats.upstreamEndpoint === '' ? '' : ` [${stats.upstreamEndpoint}]`;
  const start = Number.isFinite(stats.windowStartMs)
    ? new Date(stats.windowStartMs).toISOString()
    : String(stats.windowStartMs);
  return `${stats.sourceService || "''"}→${stats.destinationCluster || "''"}${endpoint} window ${start}/${stats.windowSeconds}s`;
}

/** Refuses windows no fold could place: unnamed ends, or a start that is no time. */
export function checkWindow(stats: EdgeStats): void {
  const bad = (what: string) =>
    new GraphFoldError(`GraphFold.apply: ${what} in ${describeWindow(stats)}`);
  if (stats.sourceService === '') throw bad('source_service is empty');
  if (stats.destinationCluster === '') throw bad('destination_cluster is empty');
  if (!Number.isSafeInteger(stats.windowStartMs) || stats.windowStartMs < 0) {
    throw bad(`window_start_ms ${stats.windowStartMs} is not a time`);
  }
}

/**
 * The window's latency sketch, or undefined when it carries none (empty bytes); its mapping is
 * then `decoder.mapping`.
 */
export function decodeSketch(stats: EdgeStats, decoder: SketchDecoder): CompactSketch | undefined {
  if (stats.latencySketch.length === 0) return undefined;
  try {
    return decoder.decode(stats.latencySketch);
  } catch (error) {
    const head = Buffer.from(stats.latencySketch.subarray(0, 16)).toString('hex');
    throw new GraphFoldError(
      `GraphFold.apply: latency_sketch (${stats.latencySketch.length} bytes, starting ${head}) of ${describeWindow(stats)} is no DDSketch: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
