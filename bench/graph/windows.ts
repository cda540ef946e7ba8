/**
 * The EdgeStats windows the fold benchmark folds: one 10-s window per call edge and per
 * endpoint for each interval, as the rollup job publishes them on edge-stats.v1, shuffled
 * within an interval (Kafka partitions interleave edges). Built before timing starts.
 */

import { DDSketch } from '@datadog/sketches-js';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { mulberry32 } from '../../stream-jobs/graph/analyses/rng.ts';
import { latencyProfiles, type Topology } from './topology.ts';

export const windowSeconds = 10;
/** Event time of the first window: fixed, so every run folds the same timeline. */
export const startMs = Date.UTC(2026, 0, 1, 12, 0, 0);
/** When interval k's windows end (event time). */
export const intervalEndMs = (k: number) => startMs + (k + 1) * windowSeconds * 1000;
/** Error rate of ordinary calls, and of calls into the incident service once it starts. */
const baseErrorRate = 0.001;
const incidentErrorRate = 0.3;

/**
 * Encoded DDSketches (1% accuracy, latencies in µs as the rollup sends them): profile p is a
 * log-normal around 2·1.2^p ms (2 ms to ~570 ms), 200 samples each. Windows of one profile
 * share the bytes; the fold decodes them on every apply all the same.
 */
export function sketchPool(seed: number): Buffer[] {
  const rng = mulberry32(seed ^ 0x5eed);
  return Array.from({ length: latencyProfiles }, (_, p) => {
    const sketch = new DDSketch({ relativeAccuracy: 0.01 });
    const medianUs = 2000 * 1.2 ** p;
    for (let s = 0; s < 200; s++) {
      const u = 1 - rng();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
      sketch.accept(medianUs * Math.exp(0.6 * z));
    }
    return Buffer.from(sketch.toProto());
  });
}

interface WindowFields {
  source: string;
  destination: string;
  endpoint: string;
  rate: number;
  errorRate: number;
  sketch: Buffer;
}

function window(f: WindowFields, interval: number): EdgeStats {
  const requests = Math.max(1, Math.round(f.rate * windowSeconds));
  const status5xx = Math.round(requests * f.errorRate);
  return EdgeStats.fromPartial({
    sourceService: f.source,
    destinationCluster: f.destination,
    upstreamEndpoint: f.endpoint,
    windowStartMs: startMs + interval * windowSeconds * 1000,
    windowSeconds,
    requests,
    status2xx: requests - status5xx,
    status5xx,
    latencySketch: f.sketch,
  });
}

/** Fisher–Yates, seeded. */
function shuffle<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Builds each interval's windows on demand, so only one interval is held at a time. */
export class WindowSource {
  readonly #pool: Buffer[];
  readonly #rng: () => number;

  constructor(
    readonly topology: Topology,
    readonly intervals: number,
    seed: number,
  ) {
    this.#pool = sketchPool(seed);
    this.#rng = mulberry32(seed ^ 0xf01d);
  }

  /** Windows per interval: one per call edge and one per endpoint. */
  get perInterval(): number {
    return this.topology.calls.length + this.topology.endpoints.length;
  }

  /**
   * Interval k's windows, shuffled. Call in order k = 0, 1, …: the shuffle draws from one
   * seeded stream. The incident service's inbound calls fail at 30% from the second half on.
   */
  interval(k: number): EdgeStats[] {
    const { topology } = this;
    const sketch = (profile: number) => this.#pool[profile % this.#pool.length] as Buffer;
    const failing = k >= Math.floor(this.intervals / 2);
    const errorRate = (callee: string) =>
      failing && callee === topology.incident ? incidentErrorRate : baseErrorRate;
    const windows: EdgeStats[] = [];
    for (const c of topology.calls) {
      const ends = { source: c.source, destination: c.target, endpoint: '' };
      const stats = { rate: c.rate, errorRate: errorRate(c.target), sketch: sketch(c.latency) };
      windows.push(window({ ...ends, ...stats }, k));
    }
    for (const e of topology.endpoints) {
      const ends = { source: e.caller, destination: e.service, endpoint: e.endpoint };
      const stats = { rate: e.rate, errorRate: errorRate(e.service), sketch: sketch(e.latency) };
      windows.push(window({ ...ends, ...stats }, k));
    }
    return shuffle(windows, this.#rng);
  }
}
