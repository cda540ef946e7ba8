/**
 * Decisions to routing.v1 without a backlog: only the latest message per cluster matters (the
 * topic is compacted, and a newer decision replaces an older one), so pending messages are kept
 * one per cluster and one send is in flight at a time. A failed send puts its messages back
 * unless a newer one for the same cluster arrived meanwhile, so a Kafka outage costs at most one
 * pending message per cluster and the latest state goes out when Kafka is back.
 */

import type { Producer } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import { routingTopic } from '../topics.ts';
import { encodeDecision } from './codec.ts';
import type { Decision } from './types.ts';

export class RoutingPublisher {
  /** cluster → the message to send: encoded decision, or null for a tombstone. */
  #pending = new Map<string, Buffer | null>();
  #inFlight: Promise<void> | undefined;
  #problem: string | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly log: Logger,
  ) {}

  /** Why the last send failed, until one succeeds. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** Queues tombstones and decisions (later ones replace earlier ones per cluster) and sends. */
  publish(clear: readonly string[], decisions: readonly Decision[]): void {
    for (const cluster of clear) this.#pending.set(cluster, null);
    for (const d of decisions) this.#pending.set(d.cluster, Buffer.from(encodeDecision(d)));
    this.#kick();
  }

  /** Resolves when the send in flight (if any) has finished. */
  async idle(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  #kick(): void {
    if (this.#inFlight || this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const messages = [...batch].map(([key, value]) => ({ key, value }));
    this.#inFlight = this.producer
      .send({ topic: routingTopic.name, acks: -1, messages })
      .then(
        () => {
          this.#problem = undefined;
        },
        (error: Error) => {
          this.#problem = `routing.v1 unreachable: ${error.message}`;
          this.log.error(
            { err: error, clusters: [...batch.keys()] },
            'routing decisions not published; retrying with the next interval',
          );
          for (const [key, value] of batch) {
            if (!this.#pending.has(key)) this.#pending.set(key, value);
          }
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
  }
}
