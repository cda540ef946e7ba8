/**
 * The snapshot cache: one immutable Snapshot per node group, guarded on the way in, and a narrow
 * watch interface on the way out. The ADS server sees only {@link SnapshotWatcher}, so the cache
 * knows nothing of streams, nonces or gRPC (go-control-plane's split), but unlike
 * go-control-plane the safety rules are enforced here rather than left to each caller.
 */

import { checkConsistency } from './consistency.ts';
import { endpointDrops } from './endpoint-guard.ts';
import type { Snapshot } from './types.ts';

/** What the cache needs to know about a node: enough to pick its group. */
export interface NodeIdentity {
  readonly id: string;
  readonly cluster: string;
  /** `node.user_agent_name`: `envoy` for Envoy, e.g. `gRPC Go` for proxyless gRPC clients. */
  readonly userAgentName?: string;
  /** Envoy's `node.metadata` (a Struct as a plain object), for groupOf functions that use it. */
  readonly metadata?: { readonly [key: string]: unknown };
}

/** All the ADS server may do with the cache. */
export interface SnapshotWatcher {
  /**
   * Calls `onSnapshot` at once if the node's group has a snapshot, then on every change. Before
   * the group's first snapshot nothing is called: nothing is served before the first full sync.
   * `onSnapshot` runs inside setSnapshot, so it must not throw. Returns the function that stops
   * the watch.
   */
  watch(node: NodeIdentity, onSnapshot: (snapshot: Snapshot) => void): () => void;
}

/**
 * Options for {@link SnapshotCache}.
 * - `groupOf` ((node: NodeIdentity) => string, default: every node in group `default`): which
 *   snapshot a node is served.
 * - `maxEndpointDropFraction` (number in [0, 1), default 0.5): the largest share of an EDS
 *   cluster's endpoints one snapshot may remove without `allowEndpointDrop`.
 */
export interface SnapshotCacheOptions {
  groupOf?: (node: NodeIdentity) => string;
  maxEndpointDropFraction?: number;
}

/**
 * Options for {@link SnapshotCache.setSnapshot}.
 * - `allowEndpointDrop` (boolean, default false): skip the endpoint-drop guard. The caller sets it
 *   when an operator's config edit removed the endpoints on purpose.
 */
export interface SetSnapshotOptions {
  allowEndpointDrop?: boolean;
}

/** setSnapshot refused the snapshot; the one served before keeps serving. */
export class SnapshotRejected extends Error {
  readonly group: string;
  /** One sentence per problem. */
  readonly reasons: readonly string[];

  constructor(group: string, reasons: readonly string[]) {
    super(
      `SnapshotCache.setSnapshot: snapshot for group "${group}" rejected: ${reasons.join('; ')}`,
    );
    this.name = 'SnapshotRejected';
    this.group = group;
    this.reasons = reasons;
  }
}

type Listener = (snapshot: Snapshot) => void;

export class SnapshotCache implements SnapshotWatcher {
  readonly #groupOf: (node: NodeIdentity) => string;
  readonly #maxDrop: number;
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #watchers = new Map<string, Set<Listener>>();

  constructor(options: SnapshotCacheOptions = {}) {
    this.#groupOf = options.groupOf ?? (() => 'default');
    this.#maxDrop = options.maxEndpointDropFraction ?? 0.5;
    if (!(this.#maxDrop >= 0 && this.#maxDrop < 1)) {
      throw new RangeError(
        `SnapshotCache: maxEndpointDropFraction must be in [0, 1), got ${options.maxEndpointDropFraction}`,
      );
    }
  }

  /**
   * Serves `snapshot` to every node of `group`, or throws {@link SnapshotRejected} (and keeps the
   * previous one) when it is inconsistent or, unless `allowEndpointDrop`, drops too many endpoints.
   */
  setSnapshot(group: string, snapshot: Snapshot, options: SetSnapshotOptions = {}): void {
    const reasons = checkConsistency(snapshot);
    const served = this.#snapshots.get(group);
    if (served && !options.allowEndpointDrop) {
      reasons.push(...endpointDrops(served, snapshot, this.#maxDrop));
    }
    if (reasons.length > 0) throw new SnapshotRejected(group, reasons);
    // Streams hold on to snapshots long after this call; freezing keeps anyone from editing one
    // that is already being served.
    Object.freeze(snapshot.sets);
    Object.freeze(snapshot.references);
    Object.freeze(snapshot);
    this.#snapshots.set(group, snapshot);
    for (const listener of [...(this.#watchers.get(group) ?? [])]) listener(snapshot);
  }

  /** The snapshot `group` is served now, if any. */
  getSnapshot(group: string): Snapshot | undefined {
    return this.#snapshots.get(group);
  }

  /** The group `node` belongs to. */
  groupOf(node: NodeIdentity): string {
    return this.#groupOf(node);
  }

  watch(node: NodeIdentity, onSnapshot: (snapshot: Snapshot) => void): () => void {
    const group = this.#groupOf(node);
    let listeners = this.#watchers.get(group);
    if (!listeners) {
      listeners = new Set();
      this.#watchers.set(group, listeners);
    }
    // A wrapper per watch, so the same callback watched twice is two watches.
    const listener: Listener = (snapshot) => onSnapshot(snapshot);
    listeners.add(listener);
    const current = this.#snapshots.get(group);
    if (current) onSnapshot(current);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#watchers.get(group) === listeners) {
        this.#watchers.delete(group);
      }
    };
  }
}
