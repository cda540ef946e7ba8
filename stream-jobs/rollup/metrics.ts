/** Prometheus metrics of the rollup job, names prefixed `meshgraph_rollup_`. */

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class RollupMetrics {
  /** Messages read from access-logs.v2 (valid or not, redelivered ones included). */
  readonly consumed: Counter;
  /** Records in those messages (valid or not, redelivered ones included). */
  readonly records: Counter;
  /** Rows inserted into access_log (acknowledged by ClickHouse). */
  readonly inserted: Counter;
  /** Redelivered records at or below the partition's high-water mark: stored before, skipped. */
  readonly skipped: Counter;
  readonly deadLetters: Counter<'reason'>;
  /** Records for a window already emitted: stored in ClickHouse, left out of edge-stats.v1. */
  readonly late: Counter;
  readonly windowsEmitted: Counter<'window'>;
  readonly openWindows: Gauge;
  readonly insertSeconds: Histogram;
  /** Failed inserts retried with the same rows and token. */
  readonly insertRetries: Counter;
  /** Possibly cut-short inserts of an earlier run sent again (same rows, same token). */
  readonly repairs: Counter;
  /** Batches that failed after retries: the partition was reloaded and read again. */
  readonly batchFailures: Counter;
  readonly lag: Gauge<'partition'>;
  readonly lastCommit: Gauge;

  constructor(registry: Registry, openWindows: () => number) {
    const registers = [registry];
    const name = (n: string) => `meshgraph_rollup_${n}`;
    this.consumed = new Counter({
      name: name('messages_consumed_total'),
      help: 'Messages (record batches) read from access-logs.v2, redeliveries included.',
      registers,
    });
    this.records = new Counter({
      name: name('records_consumed_total'),
      help: 'Records in the messages read from access-logs.v2, redeliveries included.',
      registers,
    });
    this.inserted = new Counter({
      name: name('records_inserted_total'),
      help: 'Rows inserted into ClickHouse access_log.',
      registers,
    });
    this.skipped = new Counter({
      name: name('records_skipped_total'),
      help: 'Redelivered records already in access_log (at or below the high-water mark).',
      registers,
    });
    this.deadLetters = new Counter({
      name: name('dead_letters_total'),
      help: 'Malformed records sent to access-logs.dlq.v1, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.late = new Counter({
      name: name('late_records_total'),
      help: 'Records whose window was already emitted (stored, not emitted again).',
      registers,
    });
    this.windowsEmitted = new Counter({
      name: name('windows_emitted_total'),
      help: 'Windows emitted to edge-stats.v1, by length (1s, 10s).',
      labelNames: ['window'],
      registers,
    });
    this.openWindows = new Gauge({
      name: name('open_windows'),
      help: 'Windows accumulating now (edge and endpoint, 1 s and 10 s).',
      registers,
      collect() {
        this.set(openWindows());
      },
    });
    this.insertSeconds = new Histogram({
      name: name('insert_seconds'),
      help: 'Seconds per access_log insert, retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.insertRetries = new Counter({
      name: name('insert_retries_total'),
      help: 'access_log inserts retried with the same rows and token.',
      registers,
    });
    this.repairs = new Counter({
      name: name('insert_repairs_total'),
      help: 'Inserts announced by an earlier run but not confirmed, sent again with their token.',
      registers,
    });
    this.batchFailures = new Counter({
      name: name('batch_failures_total'),
      help: 'Batches that failed; the partition was reloaded and read again from its commit.',
      registers,
    });
    this.lag = new Gauge({
      name: name('consumer_lag'),
      help: 'Messages between the committed offset and the end of the partition.',
      labelNames: ['partition'],
      registers,
    });
    this.lastCommit = new Gauge({
      name: name('last_commit_timestamp_seconds'),
      help: 'Unix time of the last offset commit.',
      registers,
    });
  }
}
