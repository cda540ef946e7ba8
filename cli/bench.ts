import { Command } from 'commander';
import { UsageError } from './errors.ts';

/** Each benchmark: loaded only when run (they pull in their own workloads). */
const benchmarks: Record<
  string,
  { about: string; run: (argv: string[], command: string) => Promise<unknown> }
> = {
  graph: {
    about:
      '10,000 services / 100,000 edges: fold rate, blast-radius latency, every analysis; vs networkx',
    run: async (argv, command) =>
      (await import('../bench/graph/run.ts')).runGraphBench(argv, command),
  },
  ingest: {
    about: 'ALS client → collector → Kafka → rollup → ClickHouse: records/s and lag p50/p99',
    run: async (argv, command) =>
      (await import('../bench/ingest/run.ts')).runIngestBench(argv, command),
  },
  loop: {
    about:
      'the closed loop under faults: real Envoy, 5 backends, open-loop load; arms round_robin … meshgraph, oracle',
    run: async (argv, command) =>
      (await import('../bench/loop/run.ts')).runLoopBench(argv, command),
  },
  'xds-scale': {
    about:
      'ADS streams held by simulated Envoys: weight-change push→receipt p50/p99 and server memory',
    run: async (argv, command) =>
      (await import('../bench/xds-scale/run.ts')).runXdsScale(argv, command),
  },
};

export function benchCommand(): Command {
  const names = Object.keys(benchmarks);
  return new Command('bench')
    .description(`run a benchmark and write its results (bench/results/NAME.{md,json})`)
    .argument('<name>', `one of: ${names.join(', ')}`)
    .argument('[args...]', 'passed to the benchmark (try: meshgraph bench NAME -- --help)')
    .allowUnknownOption()
    .addHelpText(
      'after',
      `\nBenchmarks:\n${names.map((n) => `  ${n.padEnd(12)} ${benchmarks[n]?.about}`).join('\n')}\n`,
    )
    .action(async (name: string, args: string[]) => {
      const bench = benchmarks[name];
      if (!bench)
        throw new UsageError(`unknown benchmark '${name}' (expected one of: ${names.join(', ')})`);
      await bench.run(args, ['meshgraph bench', name, ...args].join(' '));
    });
}
