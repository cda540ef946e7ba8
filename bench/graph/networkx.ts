/**
 * Runs networkx_bench.py on the exported graph, as a child process after the TypeScript side
 * has exited (so neither competes for the cores). Without a working Python + networkx the
 * benchmark still runs: the outcome then says why there is no comparison.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What networkx_bench.py writes (timings in milliseconds). */
export interface NetworkxResult {
  readonly python: string;
  readonly networkx: string;
  readonly numpy: string;
  readonly scipy: string;
  readonly graph: { readonly nodes: number; readonly edges: number; readonly buildMs: number };
  readonly timings: {
    readonly blastRadius: readonly number[];
    readonly dependencies: readonly number[];
    /** Blast radius with shares (ancestors + sparse solve), the first few targets. */
    readonly shares: readonly number[];
    readonly spof: readonly number[];
    readonly pagerank: readonly number[];
    readonly betweenness: readonly number[];
    readonly communities: readonly number[];
  };
  readonly checks: {
    readonly blastRadiusMismatches: readonly string[];
    readonly dependenciesMismatches: readonly string[];
    /** Largest share difference (null: no target checked); targets whose callers differ. */
    readonly sharesMaxDiff: number | null;
    readonly sharesMismatches: readonly string[];
    /** [count, same set as the TypeScript side]. */
    readonly articulationPoints: readonly [number, boolean];
    readonly bridges: readonly [number, boolean];
    readonly pagerankMaxDiff: number;
    readonly betweennessMaxDiff: number;
    readonly communities: number;
    /** Modularity of networkx's partition and of the TypeScript one, both by networkx. */
    readonly modularity: number;
    readonly tsModularity: number;
  };
  /** The whole script after reading its input: wall and CPU time (≪ wall: the cores were busy). */
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssBytes: number;
}

export type NetworkxOutcome =
  | { readonly available: true; readonly python: string; readonly result: NetworkxResult }
  | { readonly available: false; readonly python: string | null; readonly reason: string };

export const networkxScript = fileURLToPath(new URL('./networkx_bench.py', import.meta.url));

const unavailable = (python: string | null, reason: string): NetworkxOutcome => ({
  available: false,
  python,
  reason,
});

/** Runs `python networkx_bench.py input output`; never throws for a missing or failing Python. */
export async function runNetworkx(
  python: string | undefined,
  input: string,
  output: string,
): Promise<NetworkxOutcome> {
  if (python === undefined) return unavailable(null, 'skipped (--no-networkx)');
  if (python.includes('/') && !existsSync(python)) {
    const hint =
      'python3 -m venv .cache/graph-ref-venv && .cache/graph-ref-venv/bin/pip install networkx numpy scipy';
    return unavailable(python, `no Python at ${python} (create it: ${hint})`);
  }
  const stderr: string[] = [];
  const code = await new Promise<number | string>((resolve) => {
    const child = spawn(python, [networkxScript, input, output], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      process.stderr.write(chunk);
    });
    child.on('error', (error) => resolve(error.message));
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? `signal ${signal}`));
  });
  if (code !== 0) {
    const lines = stderr.join('').trim().split('\n');
    const missing = lines.find((l) => l.startsWith('ModuleNotFoundError'));
    const why = missing ?? lines.at(-1) ?? '';
    return unavailable(python, `networkx_bench.py failed (${code})${why ? `: ${why}` : ''}`);
  }
  const result = JSON.parse(readFileSync(output, 'utf8')) as NetworkxResult;
  return { available: true, python, result };
}
