/**
 * Prometheus metrics of the collector (names prefixed `meshgraph_collector_`), and the batcher
 * observer that feeds them and logs what operators must see (retries, drops).
 */

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import type { BatcherObserver } from './batcher.ts';
import type { OutMessage } from './producer.ts';

export class CollectorMetrics {
  /** ALS streams open now (about one per Envoy worker thread and log config). */
  readonly streams: Gauge;
  /** Log entries received, by kind (http, tcp). */
  readonly entriesReceived: Counter<'kind'>;
  /** Valid entries that are not finished requests, or TCP entries: not records, not errors. */
  readonly entriesIgnored: Counter<'reason'>;
  /** Messages acknowledged by Kafka, and their value bytes before compression, by topic. */
  readonly produced: Counter<'topic'>;
  readonly producedBytes: Counter<'topic'>;
  /** Dead letters acknowledged by Kafka, by reason. */
  readonly deadLetters: Counter<'reason'>;
  readonly batchMessages: Histogram;
  readonly produceSeconds: Histogram;
  /** Failed sends that were retried (the batch was held meanwhile). */
  readonly produceRetries: Counter;
  /** Messages given up: refused for good with nowhere left to go, or unsent at shutdown. */
  readonly dropped: Counter<'reason'>;
  /** Times a stream stopped reading because the buffer was full (backpressure). */
  readonly backpressurePauses: Counter;
  readonly bufferedMessages: Gauge;
  readonly bufferedBytes: Gauge;

  /** Registers every metric on `registry`; `buffered` is read at each scrape. */
  constructor(registry: Registry, buffered: () => { records: number; bytes: number }) {
    const registers = [registry];
    const name = (n: string) => `meshgraph_collector_${n}`;
    this.streams = new Gauge({ name: name('streams'), help: 'ALS streams open now.', registers });
    this.entriesReceived = new Counter({
      name: name('entries_received_total'),
      help: 'Access-log entries received from Envoy, by kind (http, tcp).',
      labelNames: ['kind'],
      registers,
    });
    this.entriesIgnored = new Counter({
      name: name('entries_ignored_total'),
      help: 'Entries that are not finished HTTP requests (not_request_end, tcp_entry).',
      labelNames: ['reason'],
      registers,
    });
    this.produced = new Counter({
      name: name('produced_total'),
      help: 'Messages acknowledged by Kafka (acks=all), by topic.',
      labelNames: ['topic'],
      registers,
    });
    this.producedBytes = new Counter({
      name: name('produced_bytes_total'),
      help: 'Value bytes (before compression) acknowledged by Kafka, by topic.',
      labelNames: ['topic'],
      registers,
    });
    this.deadLetters = new Counter({
      name: name('dead_letters_total'),
      help: 'Dead letters acknowledged by Kafka, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.batchMessages = new Histogram({
      name: name('batch_messages'),
      help: 'Messages per batch sent to Kafka.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    });
    this.produceSeconds = new Histogram({
      name: name('produce_seconds'),
      help: 'Seconds to send one batch, retries included.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.produceRetries = new Counter({
      name: name('produce_retries_total'),
      help: 'Batch sends that failed with a retriable error and were retried.',
      registers,
    });
    this.dropped = new Counter({
      name: name('dropped_total'),
      help: 'Messages given up, by reason (non_retriable, shutdown).',
      labelNames: ['reason'],
      registers,
    });
    this.backpressurePauses = new Counter({
      name: name('backpressure_pauses_total'),
      help: 'Times an ALS stream stopped reading because the buffer was full.',
      registers,
    });
    this.bufferedMessages = new Gauge({
      name: name('buffered_messages'),
      help: 'Messages held for Kafka now (queued and in flight).',
      registers,
      collect() {
        this.set(buffered().records);
      },
    });
    this.bufferedBytes = new Gauge({
      name: name('buffered_bytes'),
      help: 'Approximate bytes held for Kafka now (queued and in flight).',
      registers,
      collect() {
        this.set(buffered().bytes);
      },
    });
  }

  /**
   * The batcher observer: metrics per acknowledged batch, logs for retries and drops.
   * `onKafka` hears whether Kafka takes batches: a problem while retrying, undefined once a
   * batch went through (readiness).
   */
  observer(log: Logger, onKafka: (problem?: string) => void): BatcherObserver<OutMessage> {
    return {
      sent: (batch, seconds) => {
        onKafka(undefined);
        this.produceSeconds.observe(seconds);
        this.batchMessages.observe(batch.length);
        for (const message of batch) {
          this.produced.inc({ topic: message.topic });
          this.producedBytes.inc({ topic: message.topic }, message.value.length);
          if (message.reason) this.deadLetters.inc({ reason: message.reason });
        }
      },
      retrying: (error, attempt, delayMs) => {
        onKafka(`Kafka send failing (attempt ${attempt}): ${(error as Error).message}`);
        this.produceRetries.inc();
        log.warn({ err: error, attempt, delayMs }, 'Kafka send failed; retrying the held batch');
      },
      failed: (batch, error) =>
        log.error({ err: error, messages: batch.length }, 'Kafka refused a batch for good'),
      dropped: (items, reason) => {
        this.dropped.inc({ reason }, items.length);
        log.error({ messages: items.length, reason }, 'messages dropped');
      },
    };
  }
}
