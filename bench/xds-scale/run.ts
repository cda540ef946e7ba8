/**
 * The xds-scale benchmark driver: for each stream count N, a fresh xds-server (server.ts) and a
 * fresh client process (clients.ts) holding N simulated Envoys; K weight changes, one at a time;
 * push→receipt per (stream, change) and the server's memory, idle and with N streams. Usage and
 * options: options.ts (`--help`); method and caveats: README.md.
 *
 * Clock: push and receipt are read in different processes with process.hrtime.bigint(), which on
 * Linux is CLOCK_MONOTONIC, one clock for the whole machine (not wall time: NTP slews cannot
 * bend a latency). checkClock verifies each child's reading falls between two of ours.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { establishedTo, machineInfo } from './machine.ts';
import { type Options, parseOptions, usage } from './options.ts';
import {
  type FromClients,
  type FromServer,
  now,
  Peer,
  type ToClients,
  type ToServer,
} from './protocol.ts';
import {
  type ChangeFigures,
  machineLine,
  markdown,
  type Report,
  ratiosTable,
  resultsTable,
  type ScaleResult,
} from './report.ts';
import { elapsedMs, summarize } from './stats.ts';
import { changedCluster, weightsFor } from './workload.ts';

const progress = (line: string) => process.stderr.write(`[xds-scale] ${line}\n`);

/** A child's clock reading must fall between two of ours: one clock, no offset to correct. */
async function checkClock(name: string, read: () => Promise<{ now: bigint }>): Promise<void> {
  const before = now();
  const theirs = (await read()).now;
  const after = now();
  if (theirs < before || theirs > after) {
    throw new Error(`${name}: its monotonic clock is not ours (${theirs} ∉ ${before}..${after})`);
  }
}

async function measure(n: number, options: Options): Promise<ScaleResult> {
  const here = import.meta.url;
  // --expose-gc: memory is read after a full GC, so it is what the process retains.
  const server = new Peer<ToServer, FromServer>('xds-server', new URL('./server.ts', here), [
    '--expose-gc',
  ]);
  let clients: Peer<ToClients, FromClients> | undefined;
  try {
    const { clusters, endpoints } = options;
    const { grpcPort } = await server.ask({ type: 'start', clusters, endpoints }, 'ready');
    await checkClock(server.name, () => server.ask({ type: 'clock' }, 'clock'));
    const idle = (await server.ask({ type: 'memory' }, 'memory')).memory;

    const fleet = new Peer<ToClients, FromClients>('clients', new URL('./clients.ts', here), [
      '--expose-gc',
    ]);
    clients = fleet; // stopped in finally
    await checkClock(fleet.name, () => fleet.ask({ type: 'clock' }, 'clock'));
    const start = {
      type: 'start',
      port: grpcPort,
      streams: n,
      perChannel: options.perChannel,
    } as const;
    const synced = await clients.ask(start, 'synced', 300_000);
    const connections = establishedTo(grpcPort) ?? null;
    progress(`${n} streams synced in ${synced.ms.toFixed(0)} ms over ${connections} connections`);
    const connected = (await server.ask({ type: 'memory' }, 'memory')).memory;
    const clientMemory = (await clients.ask({ type: 'memory' }, 'memory')).memory;

    const samples: number[] = [];
    const perChange: ChangeFigures[] = [];
    for (let k = 1; k <= options.warmup + options.changes; k++) {
      const weights = weightsFor(k, endpoints);
      const [endpoint, weight] = weights[0] as [string, number];
      await clients.ask(
        { type: 'expect', change: k, cluster: changedCluster, endpoint, weight },
        'expecting',
      );
      const receipt = clients.next('received');
      const applied = await server.ask(
        { type: 'apply', change: k, cluster: changedCluster, weights },
        'applied',
      );
      const { change, times, busyMs } = await receipt;
      if (change !== k) throw new Error(`clients reported change ${change}, expected ${k}`);
      if (k <= options.warmup) continue;
      const latencies = Array.from(times, (t) => elapsedMs(applied.t0, t));
      for (const v of latencies) samples.push(v);
      const s = summarize(latencies);
      const applyMs = elapsedMs(applied.t0, applied.t1);
      perChange.push({
        change: k,
        weight,
        settleMs: applied.settleMs,
        applyMs,
        min: s.min,
        p50: s.p50,
        p99: s.p99,
        max: s.max,
        clientBusyMs: busyMs,
      });
    }
    const afterChanges = (await server.ask({ type: 'memory' }, 'memory')).memory;
    return {
      streams: n,
      channels: synced.channels,
      connections,
      syncMs: synced.ms,
      latencyMs: summarize(samples),
      lastStreamMs: summarize(perChange.map((c) => c.max)),
      applyMs: summarize(perChange.map((c) => c.applyMs)),
      clientBusyMs: summarize(perChange.map((c) => c.clientBusyMs)),
      server: { idle, connected, afterChanges },
      clients: clientMemory,
      perChange,
    };
  } finally {
    await clients?.stop();
    await server.stop();
  }
}

function write(path: string | undefined, text: string): void {
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * Runs the benchmark with `argv` (see options.ts); `command` is what the report says was run
 * (`meshgraph bench xds-scale …` when the CLI calls this). Resolves the report, or undefined
 * for --help.
 */
export async function runXdsScale(
  argv: readonly string[],
  command = ['npx tsx bench/xds-scale/run.ts', ...argv].join(' '),
): Promise<Report | undefined> {
  const options = parseOptions(argv);
  if (options.help) return void process.stdout.write(usage);
  const machine = machineInfo();
  const date = new Date().toISOString();
  console.log(`machine: ${machineLine(machine)}\ncommand: ${command}\ndate:    ${date}\n`);

  const results: ScaleResult[] = [];
  for (const n of options.streams) {
    progress(`measuring ${n} streams`);
    results.push(await measure(n, options));
  }
  const { json, md, help, ...shown } = options;
  const report: Report = {
    benchmark: 'xds-scale',
    date,
    command,
    machine,
    options: shown,
    results,
  };
  console.log(`${resultsTable(results)}\n\n${ratiosTable(results)}`);
  write(md, markdown(report));
  write(json, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

// Run when started as a script (tsx puts this file in argv[1]), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runXdsScale(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
