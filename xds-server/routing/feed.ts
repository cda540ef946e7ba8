/**
 * routing.v1 → the control plane: every xds-server replica reads the whole compacted topic from
 * the beginning (the latest decision per cluster is the state) and applies each decision as the
 * cluster's endpoint weights. A tombstone clears them (configured weights). Dry-run decisions are
 * audit only and never applied. A decision the control plane refuses (the cluster became static,
 * an endpoint left the mesh config) is logged and counted; the last good routing keeps serving.
 *
 * Fail static when the policy itself goes quiet: the policy job republishes every active
 * decision at least every 10 s, so a decision older than `expireAfterMs` means no policy is
 * running; its weights are cleared (configured weights) instead of being kept forever.
 */

import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import { decodeDecision } from '../../stream-jobs/policy/codec.ts';
import { startTopicReader, type TopicReader } from '../../stream-jobs/topic-reader.ts';
import { routingTopic } from '../../stream-jobs/topics.ts';
import type { LoopLatency } from './loop-latency.ts';
import type { RoutingSink } from './sink.ts';

/**
 * Options for {@link startRoutingFeed}.
 * - `kafka` (Kafka, required), `log` (Logger, required), `registry` (Registry, required):
 *   `meshgraph_routing_decisions_total{outcome}` goes there.
 * - `sink` (RoutingSink, required): the control plane.
 * - `claVersion` ((cluster) => string | undefined, required): the version Envoy will ACK for the
 *   cluster's endpoints once a decision is applied, for `loopLatency`.
 * - `loopLatency` (LoopLatency, required).
 * - `expireAfterMs` (number, default 30,000): a decision older than this (by its `decidedAtMs`)
 *   is cleared; checked every `expireAfterMs / 6`.
 * - `now` (() => number, default Date.now): wall clock, ms.
 */
export interface RoutingFeedOptions {
  kafka: Kafka;
  log: Logger;
  registry: Registry;
  sink: RoutingSink;
  claVersion: (cluster: string) => string | undefined;
  loopLatency: LoopLatency;
  expireAfterMs?: number;
  now?: () => number;
}

export async function startRoutingFeed(options: RoutingFeedOptions): Promise<TopicReader> {
  const { log, sink, now = Date.now } = options;
  const expireAfterMs = options.expireAfterMs ?? 30_000;
  /** cluster → decidedAtMs of the decision applied to it. */
  const applied = new Map<string, number>();
  const decisions = new Counter({
    name: 'meshgraph_routing_decisions_total',
    help: 'routing.v1 messages by outcome: applied, cleared, dry-run (not applied), refused, malformed; expired: decisions cleared for age',
    labelNames: ['outcome'],
    registers: [options.registry],
  });
  const expire = () => {
    for (const [cluster, decidedAtMs] of applied) {
      if (now() - decidedAtMs <= expireAfterMs) continue;
      applied.delete(cluster);
      const result = sink.apply({ kind: 'clear-endpoint-weights', cluster });
      decisions.inc({ outcome: result.ok ? 'expired' : 'refused' });
      log.warn(
        { cluster, decidedAtMs, expireAfterMs },
        'routing decision expired (no policy job publishing?): configured weights restored',
      );
    }
  };
  const timer = setInterval(expire, Math.max(100, expireAfterMs / 6));
  timer.unref();
  const reader = await startTopicReader({
    kafka: options.kafka,
    topic: routingTopic.name,
    log,
    groupPrefix: 'meshgraph-xds-routing',
    start: 'beginning',
    onMessage: (message) => {
      const key = message.key?.toString() ?? '';
      if (message.value === null) {
        applied.delete(key);
        const result = sink.apply({ kind: 'clear-endpoint-weights', cluster: key });
        decisions.inc({ outcome: result.ok ? 'cleared' : 'refused' });
        return;
      }
      let decision: ReturnType<typeof decodeDecision>;
      try {
        decision = decodeDecision(message.value);
      } catch (error) {
        decisions.inc({ outcome: 'malformed' });
        throw error;
      }
      if (decision.cluster !== key) {
        // A tombstone clears by key: a decision filed under another key could never be cleared.
        decisions.inc({ outcome: 'malformed' });
        throw new Error(
          `routing.v1: key '${key}' differs from the decision's cluster '${decision.cluster}'`,
        );
      }
      if (decision.dryRun) {
        decisions.inc({ outcome: 'dry-run' });
        return;
      }
      if (now() - decision.decidedAtMs > expireAfterMs) {
        // Read back from the compacted topic after the policy stopped: already too old to serve.
        applied.set(decision.cluster, decision.decidedAtMs);
        expire();
        return;
      }
      const result = sink.apply({
        kind: 'endpoint-weights',
        cluster: decision.cluster,
        weights: new Map(decision.endpoints.map((e) => [e.endpoint, e.weight])),
      });
      if (!result.ok) {
        decisions.inc({ outcome: 'refused' });
        log.warn(
          { cluster: decision.cluster, error: result.error },
          'routing decision refused; the last good routing keeps serving',
        );
        return;
      }
      decisions.inc({ outcome: 'applied' });
      applied.set(decision.cluster, decision.decidedAtMs);
      const version = options.claVersion(decision.cluster);
      if (version) options.loopLatency.expect(decision.cluster, version, decision.dataUpToMs);
    },
  }).catch((error) => {
    clearInterval(timer);
    throw error;
  });
  return {
    ...reader,
    close: () => {
      clearInterval(timer);
      return reader.close();
    },
  };
}
