/**
 * The audit trail: decisions into ClickHouse `routing_decisions`, and history read back. Writes
 * are batched per tick and never block the loop. A write ClickHouse could not be reached for
 * keeps its decisions queued (up to `maxQueued`, then the oldest go, counted) and is retried with
 * the next batch, and so is one refused with a transient code (timeouts, memory, too many
 * parts); one refused for a schema or data problem a retry cannot fix is dropped and counted,
 * so one bad batch never blocks the ones after it.
 */

import { Counter, type Registry } from 'prom-client';
import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import type { Logger } from '../../lib/log.ts';
import {
  type DecisionRecord,
  decisionColumns,
  decisionFromRecord,
  decisionRow,
  decisionSelect,
} from './codec.ts';
import type { Decision } from './types.ts';

/**
 * Options for {@link DecisionLog}.
 * - `store` (ClickHouseStore, required), `log` (Logger, required), `registry` (Registry,
 *   required): `meshgraph_policy_audit_failures_total`, `meshgraph_policy_audit_dropped_total`.
 * - `maxQueued` (number, default 10,000): decisions kept while ClickHouse is unreachable.
 */
export interface DecisionLogOptions {
  store: ClickHouseStore;
  log: Logger;
  registry: Registry;
  maxQueued?: number;
}

/**
 * ClickHouse error codes that a later retry can succeed after: timeouts (159, 209, 210), network
 * (279), too many simultaneous queries (202), memory (241), too many parts (252), readonly
 * replica (242), table being dropped or not yet ready (218, 425).
 */
const retriableCodes: ReadonlySet<number> = new Set([
  159, 202, 209, 210, 218, 241, 242, 252, 279, 425,
]);

export class DecisionLog {
  #queue: Decision[] = [];
  #writing: Promise<void> = Promise.resolve();
  readonly #failures: Counter;
  readonly #dropped: Counter;
  readonly #maxQueued: number;

  constructor(readonly options: DecisionLogOptions) {
    this.#maxQueued = options.maxQueued ?? 10_000;
    this.#failures = new Counter({
      name: 'meshgraph_policy_audit_failures_total',
      help: 'Failed writes of routing decisions to ClickHouse (retried with the next batch)',
      registers: [options.registry],
    });
    this.#dropped = new Counter({
      name: 'meshgraph_policy_audit_dropped_total',
      help: 'Routing decisions dropped from the audit trail: refused by ClickHouse, or beyond the queue while it was unreachable',
      registers: [options.registry],
    });
  }

  /** Queues decisions and starts a write unless one is in flight (it picks them up next). */
  record(decisions: readonly Decision[]): void {
    if (decisions.length === 0) return;
    this.#queue.push(...decisions);
    const excess = this.#queue.length - this.#maxQueued;
    if (excess > 0) {
      this.#queue.splice(0, excess);
      this.#dropped.inc(excess);
    }
    this.#writing = this.#writing.then(() => this.#flush());
  }

  /** Waits for queued decisions to be written (or to fail once). */
  flushed(): Promise<void> {
    return this.#writing;
  }

  async history(cluster: string, query: { sinceMs?: number; limit: number }): Promise<Decision[]> {
    const rows = await this.options.store.query<DecisionRecord>(
      `SELECT ${decisionSelect} FROM routing_decisions
       WHERE cluster = {cluster:String} AND decided_at >= fromUnixTimestamp64Milli({since:Int64})
       ORDER BY decided_at DESC LIMIT 1 BY cluster, decided_at LIMIT {limit:UInt32}`,
      { cluster, since: query.sinceMs ?? 0, limit: query.limit },
    );
    return rows.map(decisionFromRecord);
  }

  async #flush(): Promise<void> {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    try {
      await this.options.store.insert('routing_decisions', batch.map(decisionRow), {
        columns: decisionColumns,
      });
    } catch (error) {
      this.#failures.inc();
      const code = (error as { code?: unknown }).code;
      const refused = typeof code === 'number' && !retriableCodes.has(code);
      if (refused) this.#dropped.inc(batch.length);
      else this.#queue.unshift(...batch);
      this.options.log.warn(
        { err: error, decisions: batch.length },
        refused
          ? 'routing decisions refused by ClickHouse; dropped from the audit trail'
          : 'routing decisions not written to ClickHouse; retrying with the next batch',
      );
    }
  }
}
