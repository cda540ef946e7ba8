/** Command-line options of the ingest benchmark (pure parsing: unit-tested). */

import { parseArgs } from 'node:util';

export interface Options {
  readonly rates: number[];
  readonly warmupS: number;
  readonly durationS: number;
  readonly streams: number;
  readonly batch: number;
  readonly drainS: number;
  readonly json: string | undefined;
  readonly md: string | undefined;
  readonly help: boolean;
}

export const usage = `Usage: npx tsx bench/ingest/run.ts [options]

A synthetic ALS client (own process) sends access-log entries open loop at each offered rate
through collector (own process) → Kafka (a native broker) → rollup (own process, embedded
ClickHouse); reports records/s offered vs inserted, lag p50/p99 (insert acknowledgment −
start_time) over the steady state, CPU per process and memory, with ratios between the rates.
A fresh Kafka, collector, rollup and ClickHouse folder for each rate.

Options:
  --rates LIST     offered records/s, comma-separated            (default 25000,50000,100000)
  --warmup S       seconds sent before the measured window        (default 5)
  --duration S     measured seconds (steady state)                (default 20)
  --streams N      ALS streams (simulated Envoys)                 (default 4)
  --batch B        entries per ALS message, at most               (default 100)
  --drain S        after sending, wait at most S s for the rest   (default 30)
  --json PATH      also write the raw figures as JSON
  --md PATH        also write the Markdown table
  --help           this text
`;

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name}: expected a positive integer, got '${text}'`);
  }
  return value;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rates: { type: 'string', default: '25000,50000,100000' },
      warmup: { type: 'string', default: '5' },
      duration: { type: 'string', default: '20' },
      streams: { type: 'string', default: '4' },
      batch: { type: 'string', default: '100' },
      drain: { type: 'string', default: '30' },
      json: { type: 'string' },
      md: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    rates: values.rates.split(',').map((s) => positive('rates', s.trim())),
    warmupS: positive('warmup', values.warmup),
    durationS: positive('duration', values.duration),
    streams: positive('streams', values.streams),
    batch: positive('batch', values.batch),
    drainS: positive('drain', values.drain),
    json: values.json,
    md: values.md,
    help: values.help,
  };
}
