/**
 * routing.v1 → the control plane: every xds-server replica reads the whole compacted topic from
 * the beginning (the latest decision per cluster is the state) and applies each decision as the
 * cluster's endpoint weights. A tombstone clears them (configured weights). Dry-run decisions are
 * audit only and never applied. A decision the control plane refuses (the cluster became static,
 * an endpoint left the mesh config) is logged and counted; the last good routing keeps serving.
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
 */
export interface RoutingFeedOptions {
  kafka: Kafka;
  log: Logger;
  registry: Registry;
  sink: RoutingSink;
  claVersion: (cluster: string) => string | undefined;
  loopLatency: LoopLatency;
}

export async function startRoutingFeed(options: RoutingFeedOptions): Promise<TopicReader> {
  const { log, sink } = options;
  const decisions = new Counter({
    name: 'meshgraph_routing_decisions_total',
    help: 'routing.v1 messages by outcome: applied, cleared, dry-run (not applied), refused, malformed',
    labelNames: ['outcome'],
    registers: [options.registry],
  });
  return startTopicReader({
    kafka: options.kafka,
    topic: routingTopic.name,
    log,
    groupPrefix: 'meshgraph-xds-routing',
    start: 'beginning',
    onMessage: (message) => {
      const key = message.key?.toString() ?? '';
      if (message.value === null) {
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
      if (decision.dryRun) {
        decisions.inc({ outcome: 'dry-run' });
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
      const version = options.claVersion(decision.cluster);
      if (version) options.loopLatency.expect(decision.cluster, version, decision.dataUpToMs);
    },
  });
}
