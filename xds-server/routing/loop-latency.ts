import { Histogram, type Registry } from 'prom-client';
import type { NodeIdentity } from '../snapshot/cache.ts';
import { type Resource, TypeUrl } from '../snapshot/types.ts';

/**
 * The loop's latency, end to end: from the newest access-log time a routing decision rests on
 * to the moment an Envoy ACKs the endpoints (EDS) that decision produced. Each applied decision
 * is remembered by the content version of its cluster's ClusterLoadAssignment; every node that
 * ACKs that version adds one observation. Entries are forgotten after `keepMs` (a node that
 * never ACKs must not hold memory forever).
 *
 * - `registry` (Registry, required): where `meshgraph_loop_latency_seconds` is registered.
 * - `keepMs` (number, default 300,000): how long a decision waits for ACKs.
 * - `now` (() => number, default Date.now): wall clock, ms; access-log times are wall clock too.
 */
export interface LoopLatencyOptions {
  registry: Registry;
  keepMs?: number;
  now?: () => number;
}

interface Expected {
  readonly dataUpToMs: number;
  readonly appliedAtMs: number;
  readonly ackedBy: Set<string>;
}

export class LoopLatency {
  readonly histogram: Histogram<'cluster'>;
  readonly #expected = new Map<string, Expected>();
  readonly #keepMs: number;
  readonly #now: () => number;

  constructor(options: LoopLatencyOptions) {
    this.#keepMs = options.keepMs ?? 300_000;
    this.#now = options.now ?? Date.now;
    this.histogram = new Histogram({
      name: 'meshgraph_loop_latency_seconds',
      help: 'Access-log time (newest data a routing decision used) to the EDS ACK by an Envoy holding that decision',
      labelNames: ['cluster'],
      buckets: [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 60],
      registers: [options.registry],
    });
  }

  /** A decision resting on data up to `dataUpToMs` made `cluster`'s CLA version `version`. */
  expect(cluster: string, version: string, dataUpToMs: number): void {
    if (dataUpToMs <= 0) return; // a stale decision rests on no data: nothing to measure
    this.#prune();
    this.#expected.set(key(cluster, version), {
      dataUpToMs,
      appliedAtMs: this.#now(),
      ackedBy: new Set(),
    });
  }

  /** An ADS ACK (see AdsServerOptions.onAck); only EDS resources are of interest. */
  acked(node: NodeIdentity, type: TypeUrl, resources: readonly Resource[]): void {
    if (type !== TypeUrl.endpoint || this.#expected.size === 0) return;
    const now = this.#now();
    for (const resource of resources) {
      const expected = this.#expected.get(key(resource.name, resource.version));
      if (!expected || expected.ackedBy.has(node.id)) continue;
      expected.ackedBy.add(node.id);
      this.histogram.observe(
        { cluster: resource.name },
        Math.max(0, now - expected.dataUpToMs) / 1000,
      );
    }
  }

  #prune(): void {
    const oldest = this.#now() - this.#keepMs;
    for (const [k, e] of this.#expected) if (e.appliedAtMs < oldest) this.#expected.delete(k);
  }
}

const key = (cluster: string, version: string) => `${cluster}\n${version}`;
