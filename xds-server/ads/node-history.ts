/**
 * What the server remembers about a node across its streams. Envoy reconnects after every control
 * plane restart, network blip or NACK-triggered retry; without this memory a reconnect would
 * re-send the version it just rejected (a NACK loop) and forget which routes it is still using
 * (so make-before-break could not keep their clusters).
 */

import type { Resource, TypeUrl } from '../snapshot/types.ts';

/** Resources a node has ACKed for one type, and the version of the response that carried them. */
export interface GoodView {
  readonly version: string;
  readonly resources: ReadonlyMap<string, Resource>;
}

/** Quarantine key for a whole state-of-the-world response version. */
export const setKey = (version: string): string => `set:${version}`;
/** Quarantine key for one resource version in delta xDS. */
export const resourceKey = (name: string, version: string): string => `res:${name}@${version}`;

export class NodeHistory {
  readonly #good = new Map<TypeUrl, { version: string; resources: Map<string, Resource> }>();
  readonly #quarantined = new Map<TypeUrl, Set<string>>();
  readonly #maxQuarantined: number;

  constructor(maxQuarantined: number) {
    this.#maxQuarantined = maxQuarantined;
  }

  lastGood(type: TypeUrl): GoodView | undefined {
    return this.#good.get(type);
  }

  /** The node ACKed exactly `resources` (a state-of-the-world wildcard type). */
  replaceGood(type: TypeUrl, version: string, resources: Iterable<Resource>): void {
    this.#good.set(type, { version, resources: new Map([...resources].map((r) => [r.name, r])) });
  }

  /** The node ACKed `resources` on top of what it had, and dropped `removed`. */
  mergeGood(
    type: TypeUrl,
    version: string,
    resources: Iterable<Resource>,
    removed: Iterable<string> = [],
  ): void {
    const good = this.#good.get(type) ?? { version, resources: new Map<string, Resource>() };
    good.version = version;
    for (const resource of resources) good.resources.set(resource.name, resource);
    for (const name of removed) good.resources.delete(name);
    this.#good.set(type, good);
  }

  /** The node stopped using `names` (it unsubscribed): they no longer pin anything. */
  forget(type: TypeUrl, names: Iterable<string>): void {
    const good = this.#good.get(type);
    if (good) for (const name of names) good.resources.delete(name);
  }

  quarantine(type: TypeUrl, key: string): void {
    let keys = this.#quarantined.get(type);
    if (!keys) {
      keys = new Set();
      this.#quarantined.set(type, keys);
    }
    keys.add(key);
    // Oldest first out: a version rejected long ago is unlikely to be served again.
    for (const old of keys) {
      if (keys.size <= this.#maxQuarantined) break;
      keys.delete(old);
    }
  }

  isQuarantined(type: TypeUrl, key: string): boolean {
    return this.#quarantined.get(type)?.has(key) ?? false;
  }
}

/**
 * Options for {@link NodeHistories}.
 * - `maxNodes` (number, default 10000): nodes remembered; the least recently connected is
 *   forgotten first, so node churn cannot grow memory without bound.
 * - `maxQuarantined` (number, default 100): rejected versions remembered per node and type.
 */
export interface NodeHistoriesOptions {
  maxNodes?: number;
  maxQuarantined?: number;
}

export class NodeHistories {
  readonly #nodes = new Map<string, NodeHistory>();
  readonly #maxNodes: number;
  readonly #maxQuarantined: number;

  constructor(options: NodeHistoriesOptions = {}) {
    this.#maxNodes = options.maxNodes ?? 10_000;
    this.#maxQuarantined = options.maxQuarantined ?? 100;
  }

  /** The node's history, created on first use; marks the node most recently used. */
  get(nodeId: string): NodeHistory {
    let history = this.#nodes.get(nodeId);
    if (history) {
      this.#nodes.delete(nodeId);
    } else {
      history = new NodeHistory(this.#maxQuarantined);
    }
    this.#nodes.set(nodeId, history);
    for (const oldest of this.#nodes.keys()) {
      if (this.#nodes.size <= this.#maxNodes) break;
      this.#nodes.delete(oldest);
    }
    return history;
  }
}
