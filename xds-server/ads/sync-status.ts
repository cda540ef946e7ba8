/**
 * Sync status: per node, what was sent, what it ACKed and what it rejected, by type. The answer to
 * "is this Envoy running the config we think it is, and if not, why" without reading its admin
 * page. Served as JSON (toJSON) by the admin HTTP endpoint.
 */

import type { TypeUrl } from '../snapshot/types.ts';
import { typeName } from './events.ts';

export interface NackRecord {
  readonly version: string;
  /** Envoy's error_detail.message. */
  readonly message: string;
  /** ISO 8601. */
  readonly at: string;
  /** The resources in the rejected response. */
  readonly resources: readonly string[];
}

export interface TypeSync {
  sentVersion: string | null;
  ackedVersion: string | null;
  lastNack: NackRecord | null;
  /** A response is waiting for its ACK/NACK. */
  pending: boolean;
}

export interface NodeSync {
  readonly id: string;
  readonly cluster: string;
  readonly stream: 'sotw' | 'delta';
  readonly connectedAt: string;
  connected: boolean;
  disconnectedAt: string | null;
  readonly types: Record<'lds' | 'rds' | 'cds' | 'eds', TypeSync>;
}

/** Records one stream's events into its node's entry (a no-op once a newer stream took over). */
export interface StreamSync {
  pushed(type: TypeUrl, version: string): void;
  acked(type: TypeUrl, version: string): void;
  nacked(type: TypeUrl, version: string, message: string, resources: readonly string[]): void;
  disconnected(): void;
}

const emptyType = (): TypeSync => ({
  sentVersion: null,
  ackedVersion: null,
  lastNack: null,
  pending: false,
});

/**
 * Options for {@link SyncStatus}.
 * - `maxDisconnected` (number, default 1000): disconnected nodes kept (their last NACK is often
 *   why they left); the oldest go first.
 * - `clock` (() => Date, default `() => new Date()`): timestamps.
 */
export interface SyncStatusOptions {
  maxDisconnected?: number;
  clock?: () => Date;
}

export class SyncStatus {
  readonly #nodes = new Map<string, { sync: NodeSync }>();
  readonly #maxDisconnected: number;
  readonly #clock: () => Date;

  constructor(options: SyncStatusOptions = {}) {
    this.#maxDisconnected = options.maxDisconnected ?? 1000;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** A stream of `node` opened; it replaces the node's entry, keeping each type's last NACK. */
  connect(node: { id: string; cluster: string }, stream: 'sotw' | 'delta'): StreamSync {
    const previous = this.#nodes.get(node.id)?.sync;
    const types = { lds: emptyType(), rds: emptyType(), cds: emptyType(), eds: emptyType() };
    for (const key of Object.keys(types) as (keyof typeof types)[]) {
      types[key].lastNack = previous?.types[key].lastNack ?? null;
    }
    const sync: NodeSync = {
      id: node.id,
      cluster: node.cluster,
      stream,
      connectedAt: this.#clock().toISOString(),
      connected: true,
      disconnectedAt: null,
      types,
    };
    // A fresh object per stream: a late event from a replaced stream finds another entry.
    const entry = { sync };
    this.#nodes.delete(node.id);
    this.#nodes.set(node.id, entry);
    const current = () => this.#nodes.get(node.id) === entry;
    const type = (t: TypeUrl) => sync.types[typeName[t]];
    return {
      pushed: (t, version) => {
        if (current()) Object.assign(type(t), { sentVersion: version, pending: true });
      },
      acked: (t, version) => {
        if (current()) Object.assign(type(t), { ackedVersion: version, pending: false });
      },
      nacked: (t, version, message, resources) => {
        if (!current()) return;
        const at = this.#clock().toISOString();
        Object.assign(type(t), { lastNack: { version, message, at, resources }, pending: false });
      },
      disconnected: () => {
        if (!current()) return;
        sync.connected = false;
        sync.disconnectedAt = this.#clock().toISOString();
        this.#prune();
      },
    };
  }

  get(nodeId: string): NodeSync | undefined {
    return this.#nodes.get(nodeId)?.sync;
  }

  toJSON(): { nodes: NodeSync[] } {
    const nodes = [...this.#nodes.values()].map((entry) => entry.sync);
    return { nodes: nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
  }

  #prune(): void {
    let disconnected = 0;
    for (const { sync } of this.#nodes.values()) if (!sync.connected) disconnected++;
    // Map order is connection order: the first disconnected entries are the oldest.
    for (const [id, { sync }] of this.#nodes) {
      if (disconnected <= this.#maxDisconnected) break;
      if (sync.connected) continue;
      this.#nodes.delete(id);
      disconnected--;
    }
  }
}
