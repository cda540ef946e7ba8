/**
 * Child process: the rollup job alone, on the embedded ClickHouse engine (chdb, inside this
 * process, as a single-replica deployment runs it). Started by run.ts over IPC (protocol.ts).
 *
 * Lag is measured at the insert acknowledgment: AccessLogSink.insertBlock is wrapped (here, in the
 * benchmark's process only) so that when ClickHouse has acknowledged an access_log insert, every
 * record in it gets lag = now − its start_time (the client stamps each record with the wall time
 * it was scheduled to be sent). Every record counts, not a sample; the wrapper costs one loop
 * over the batch's records.
 */

import { createLogger } from '../../lib/log.ts';
import { AccessLogSink, type BlockRows } from '../../stream-jobs/rollup/sink.ts';
import { type RunningRollup, startRollup } from '../../stream-jobs/rollup/start.ts';
import { LagHistogram } from './histogram.ts';
import { serve, type ToRollup } from './protocol.ts';

const log = createLogger('bench-rollup', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
let rollup: RunningRollup | undefined;
let stopping = false;

let window = { t0: Number.POSITIVE_INFINITY, from: Number.POSITIVE_INFINITY, to: 0 };
const lag = new LagHistogram();
const perSecond: number[] = [];
let inserted = 0;
let inserts = 0;
let insertedInWindow = 0;
let insertsInWindow = 0;
let insertMsInWindow = 0;

// insertBlock: every access_log insert goes through it (insert() included).
const original = AccessLogSink.prototype.insertBlock;
AccessLogSink.prototype.insertBlock = async function insertBlock(
  this: AccessLogSink,
  blocks: readonly BlockRows[],
) {
  const started = performance.now();
  const result = await original.call(this, blocks);
  const now = Date.now();
  const { from, to, t0 } = window;
  let rows = 0;
  for (const { records } of blocks) {
    rows += records.length;
    for (const { value } of records) {
      const start = value.startTimeUs / 1000;
      if (start >= from && start < to) lag.add(now - start);
    }
  }
  const records = { length: rows };
  inserted += records.length;
  inserts += 1;
  if (now >= from && now < to) {
    insertedInWindow += records.length;
    insertsInWindow += 1;
    insertMsInWindow += performance.now() - started;
  }
  if (now >= t0) {
    const second = Math.floor((now - t0) / 1000);
    while (perSecond.length <= second) perSecond.push(0);
    perSecond[second] = (perSecond[second] ?? 0) + records.length;
  }
  return result;
};

serve<ToRollup>(async (message) => {
  switch (message.type) {
    case 'start':
      rollup = await startRollup({
        brokers: message.brokers,
        clickhouseUrl: `chdb://${message.dir}`,
        adminPort: 0,
        log,
      });
      return process.send?.({ type: 'ready' });
    case 'window':
      window = { t0: message.t0, from: message.from, to: message.to };
      return;
    case 'report':
      return process.send?.({
        type: 'report',
        inserted,
        inserts,
        insertedInWindow,
        lag: lag.toPairs(),
        perSecond,
        rowsPerInsert: insertsInWindow > 0 ? insertedInWindow / insertsInWindow : Number.NaN,
        insertMs: insertsInWindow > 0 ? insertMsInWindow / insertsInWindow : Number.NaN,
      });
    case 'stop':
      if (stopping) return;
      stopping = true;
      await rollup?.close();
      process.exit(0);
  }
});
