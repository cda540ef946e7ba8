/**
 * The policy job's state machine, without I/O: which clusters it manages (the mesh config's
 * `policy: adaptive` clusters), their operator overrides, the math's state per cluster, and what
 * each interval's `tick` asks the adapters to do: decisions to publish to routing.v1, decisions
 * to record in ClickHouse, clusters to hand back to their configured weights (a tombstone).
 *
 * Publishing: an active cluster's decision goes out when its weights change, and again every
 * `refreshMs` so a decision's age says whether the policy is alive. A cluster switched to dry-run
 * or off, or no longer adaptive, gets one tombstone: Envoy returns to the configured weights
 * instead of keeping the last pushed ones forever.
 */

import type { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import {
  endpointKey,
  isEndpointWeight,
  type MeshConfig,
} from '../../xds-server/mesh-config/types.ts';
import type { ClusterOverride, ManagedCluster, OverrideResult } from './control.ts';
import { type ClusterPolicyState, decide } from './math/decide.ts';
import { ObservationBuffer } from './observations.ts';
import type { PolicyOptions } from './options.ts';
import type { ClusterSpec, Decision } from './types.ts';

/**
 * Options for {@link PolicyJob}.
 * - `policy` (PolicyOptions, required): the math's options (see options.ts).
 * - `refreshMs` (number, default 10,000): republish an unchanged active decision this often.
 */
export interface PolicyJobOptions {
  policy: PolicyOptions;
  refreshMs?: number;
}

export interface TickResult {
  readonly publish: readonly Decision[];
  readonly record: readonly Decision[];
  /** Clusters whose routing.v1 entry must be cleared (configured weights). */
  readonly clear: readonly string[];
}

interface Managed {
  spec: ClusterSpec;
  override: ClusterOverride;
  state: ClusterPolicyState | undefined;
  latest: Decision | undefined;
  publishedAtMs: number;
  /** The mode the last published or recorded decision was made in. */
  publishedMode: ClusterOverride['mode'] | undefined;
  /**
   * A decision of this cluster may be on routing.v1 and need clearing. True for a cluster first
   * seen: a previous run of the job may have published one (a needless tombstone is harmless).
   */
  onTopic: boolean;
}

const noOverride: ClusterOverride = Object.freeze({ mode: 'active', pins: new Map() });

export class PolicyJob {
  readonly #managed = new Map<string, Managed>();
  /** Clusters of the mesh config with `policy: static`: overrides name them as not adaptive. */
  #static = new Set<string>();
  readonly #buffer: ObservationBuffer;
  readonly #refreshMs: number;
  #pendingClear = new Set<string>();

  constructor(readonly options: PolicyJobOptions) {
    this.#refreshMs = options.refreshMs ?? 10_000;
    this.#buffer = new ObservationBuffer(options.policy);
  }

  /** Adopts a mesh config: new adaptive clusters start fresh, removed ones are cleared. */
  setConfig(config: MeshConfig): void {
    const adaptive = config.clusters.filter((c) => c.policy === 'adaptive');
    const names = new Set(adaptive.map((c) => c.name));
    this.#static = new Set(config.clusters.filter((c) => c.policy === 'static').map((c) => c.name));
    for (const [name, m] of this.#managed) {
      if (names.has(name)) continue;
      this.#managed.delete(name);
      this.#buffer.forget(name);
      if (m.onTopic) this.#pendingClear.add(name);
    }
    for (const cluster of adaptive) {
      const spec: ClusterSpec = {
        cluster: cluster.name,
        staticWeights: new Map(cluster.endpoints.map((e) => [endpointKey(e), e.weight])),
      };
      const known = this.#managed.get(cluster.name);
      if (known && sameEndpoints(known.spec, spec)) {
        known.spec = spec;
        continue;
      }
      this.#pendingClear.delete(cluster.name);
      // The math carries each remaining endpoint's state over (an ejected one stays ejected).
      this.#managed.set(cluster.name, {
        spec,
        override: known ? keepPins(known.override, spec) : noOverride,
        state: known?.state,
        latest: known?.latest,
        publishedAtMs: known?.publishedAtMs ?? 0,
        publishedMode: known?.publishedMode,
        onTopic: known?.onTopic ?? true,
      });
    }
  }

  /**
   * Feeds one edge-stats.v1 message: the endpoint windows of managed clusters, and the instance
   * windows of calls their endpoints make (dependency health); anything else is ignored.
   */
  observe(stats: EdgeStats): void {
    this.#buffer.add(stats, (cluster) => this.#managed.has(cluster));
  }

  tick(nowMs: number): TickResult {
    const publish: Decision[] = [];
    const record: Decision[] = [];
    const clear = [...this.#pendingClear];
    this.#pendingClear = new Set();
    this.#buffer.prune(nowMs);
    for (const m of this.#managed.values()) {
      const observation = this.#buffer.take(m.spec.cluster);
      const { mode, pins } = m.override;
      if (mode === 'off') {
        m.state = undefined;
        m.latest = undefined;
        m.publishedMode = 'off';
        if (m.onTopic) clear.push(m.spec.cluster);
        m.onTopic = false;
        continue;
      }
      const dryRun = mode === 'dry-run';
      const result = decide({
        spec: m.spec,
        observation,
        previous: m.state,
        pins,
        nowMs,
        dryRun,
        options: this.options.policy,
      });
      const first = m.latest === undefined;
      m.state = result.state;
      m.latest = result.decision;
      const due =
        result.changed || mode !== m.publishedMode || nowMs - m.publishedAtMs >= this.#refreshMs;
      if (!due) continue;
      m.publishedAtMs = nowMs;
      m.publishedMode = mode;
      record.push(result.decision);
      // A job that just started has no data yet: publishing "stale" would overwrite the last
      // good decision of the run before (the xds-server expires that one if no policy follows).
      if (first && result.decision.reason === 'stale') continue;
      if (dryRun) {
        if (m.onTopic) clear.push(m.spec.cluster);
        m.onTopic = false;
      } else {
        publish.push(result.decision);
        m.onTopic = true;
      }
    }
    return { publish, record, clear };
  }

  current(): Decision[] {
    return [...this.#managed.values()].flatMap((m) => (m.latest ? [m.latest] : []));
  }

  clusters(): ManagedCluster[] {
    return [...this.#managed.values()].map(view);
  }

  setOverride(cluster: string, override: ClusterOverride): OverrideResult {
    const m = this.#managed.get(cluster);
    if (!m && this.#static.has(cluster)) {
      return refuse(
        'not-adaptive',
        `cluster '${cluster}' has policy static: the policy leaves it alone`,
      );
    }
    if (!m) return refuse('unknown-cluster', `cluster '${cluster}' is not in the mesh config`);
    for (const [endpoint, weight] of override.pins) {
      if (!m.spec.staticWeights.has(endpoint)) {
        return refuse('unknown-endpoint', `cluster '${cluster}' has no endpoint '${endpoint}'`);
      }
      if (!isEndpointWeight(weight)) {
        return refuse(
          'bad-weight',
          `pin for '${endpoint}' must be an integer 0..128, got ${weight}`,
        );
      }
    }
    if (
      override.pins.size > 0 &&
      [...m.spec.staticWeights.keys()].every((e) => override.pins.get(e) === 0)
    ) {
      return refuse('bad-weight', `pins would eject every endpoint of cluster '${cluster}'`);
    }
    m.override = { mode: override.mode, pins: new Map(override.pins) };
    return { ok: true, cluster: view(m) };
  }

  clearOverride(cluster: string): OverrideResult {
    return this.setOverride(cluster, noOverride);
  }
}

function view(m: Managed): ManagedCluster {
  return {
    cluster: m.spec.cluster,
    mode: m.override.mode,
    pins: m.override.pins,
    staticWeights: m.spec.staticWeights,
  };
}

function refuse(
  code: Extract<OverrideResult, { ok: false }>['code'],
  message: string,
): OverrideResult {
  return { ok: false, code, message };
}

function sameEndpoints(a: ClusterSpec, b: ClusterSpec): boolean {
  if (a.staticWeights.size !== b.staticWeights.size) return false;
  for (const key of a.staticWeights.keys()) if (!b.staticWeights.has(key)) return false;
  return true;
}

/** An override carried over to a cluster whose endpoints changed: pins of removed ones dropped. */
function keepPins(override: ClusterOverride, spec: ClusterSpec): ClusterOverride {
  const pins = new Map([...override.pins].filter(([e]) => spec.staticWeights.has(e)));
  return { mode: override.mode, pins };
}
