/** Command-line options of the xds-scale benchmark (pure parsing: unit-tested). */

import { parseArgs } from 'node:util';

export interface Options {
  readonly streams: number[];
  readonly changes: number;
  readonly warmup: number;
  readonly perChannel: number;
  readonly clusters: number;
  readonly endpoints: number;
  readonly json: string | undefined;
  readonly md: string | undefined;
  readonly help: boolean;
}

export const usage = `Usage: npx tsx bench/xds-scale/run.ts [options]

N simulated Envoys (one SotW ADS stream each, in a child process) receive K endpoint-weight
changes from an xds-server (in another child process); reports push→receipt p50/p99/max and
the server's RSS and heap, idle and with N streams, for each N, with ratios between them.

Options:
  --streams LIST      stream counts to compare, comma-separated       (default 100,1000)
  --changes K         recorded weight changes per stream count        (default 20)
  --warmup W          unrecorded changes first (JIT, lazy allocation) (default 2)
  --per-channel S     streams per gRPC channel (own HTTP/2 connection) (default 100)
  --clusters C        adaptive clusters in the mesh config, 1..255     (default 10)
  --endpoints E       endpoints per cluster, 1..254                    (default 4)
  --json PATH         also write the raw figures as JSON
  --md PATH           also write the Markdown table
  --help              this text
`;

function positive(name: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`--${name}: expected an integer from 1 to ${max}, got '${text}'`);
  }
  return value;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      streams: { type: 'string', default: '100,1000' },
      changes: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2' },
      'per-channel': { type: 'string', default: '100' },
      clusters: { type: 'string', default: '10' },
      endpoints: { type: 'string', default: '4' },
      json: { type: 'string' },
      md: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`--warmup: expected an integer ≥ 0, got '${values.warmup}'`);
  }
  const changes = positive('changes', values.changes);
  // Weights cycle with period 128 (workload.ts): beyond that a change could repeat the start.
  if (warmup + changes > 127) throw new Error('--warmup + --changes must be at most 127');
  return {
    streams: values.streams.split(',').map((s) => positive('streams', s.trim())),
    changes,
    warmup,
    perChannel: positive('per-channel', values['per-channel']),
    clusters: positive('clusters', values.clusters, 255),
    endpoints: positive('endpoints', values.endpoints, 254),
    json: values.json,
    md: values.md,
    help: values.help,
  };
}
