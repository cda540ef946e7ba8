/**
 * The graph benchmark driver: forks the TypeScript side (js-side.ts: topology, fold, analyses,
 * export) with --expose-gc and a heap limit, then runs networkx_bench.py on the export; prints
 * the machine, the command, the date and the tables, and writes the report. Usage and options:
 * options.ts (`--help`); method and caveats: README.md.
 */

import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { machineInfo } from '../xds-scale/machine.ts';
import { machineLine } from '../xds-scale/report.ts';
import { comparisonTable, versionsLine } from './compare.ts';
import { foldParagraph, foldSummary, foldTable } from './fold-report.ts';
import type { SideOptions, SideResult } from './js-side.ts';
import { runNetworkx } from './networkx.ts';
import { type Options, parseOptions, usage } from './options.ts';
import { analysesTable, markdown, queriesTable, type Report } from './report.ts';

const progress = (line: string) => process.stderr.write(`[graph] ${line}\n`);

/**
 * Node flags that let a child load TypeScript: ours when tsx's CLI started us; else (tsx
 * registered in-process, as bin/meshgraph.js does) tsx's loader, resolved from here.
 */
function loaderArgs(): string[] {
  const tsx = process.execArgv.filter(
    (arg, i, all) => arg.includes('tsx') || all[i + 1]?.includes('tsx'),
  );
  return tsx.length > 0 ? tsx : ['--import', import.meta.resolve('tsx')];
}

function runSide(options: SideOptions, heapMiB: number): Promise<SideResult> {
  const child = fork(new URL('./js-side.ts', import.meta.url), [JSON.stringify(options)], {
    execArgv: [...loaderArgs(), '--expose-gc', `--max-old-space-size=${heapMiB}`],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((done, fail) => {
    let answered = false;
    child.on('message', (m: SideResult | { type: 'error'; message: string }) => {
      answered = true;
      if (m.type === 'result') done(m);
      else fail(new Error(`graph benchmark (TypeScript side): ${m.message}`));
    });
    child.on('exit', (code, signal) => {
      if (!answered) fail(new Error(`the TypeScript side exited (code ${code}, signal ${signal})`));
    });
  });
}

function write(path: string | undefined, text: string): void {
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * Runs the benchmark with `argv` (see options.ts); `command` is what the report says was run
 * (`meshgraph bench graph …` when the CLI calls this). Resolves the report, or undefined for
 * --help.
 */
export async function runGraphBench(
  argv: readonly string[],
  command = ['npx tsx bench/graph/run.ts', ...argv].join(' '),
): Promise<Report | undefined> {
  const options: Options = parseOptions(argv);
  if (options.help) return void process.stdout.write(usage);
  const machine = machineInfo();
  const loadStart = loadavg();
  const date = new Date().toISOString();
  console.log(`machine: ${machineLine(machine)}\ncommand: ${command}\ndate:    ${date}\n`);

  const scratch = mkdtempSync(join(tmpdir(), 'meshgraph-bench-graph-'));
  try {
    const exportPath = join(scratch, 'graph.json');
    const side = await runSide({ ...options, exportPath }, options.heapMiB);
    const defaultHeapLimitBytes = getHeapStatistics().heap_size_limit;
    const { generateMs, fold, analyses } = side;
    if (analyses === undefined) {
      const text = foldParagraph(fold, defaultHeapLimitBytes, options.heapMiB);
      return void console.log([text, foldTable(fold)].join('\n\n'));
    }
    progress(`networkx: ${options.python ?? 'skipped'}`);
    const networkx = await runNetworkx(options.python, exportPath, join(scratch, 'networkx.json'));
    const load = { start: loadStart, end: loadavg() };
    const { json, md, help, ...shown } = options;
    const report: Report = {
      benchmark: 'graph',
      ...{ date, command, machine, options: shown },
      topology: { ...side.topology, generateMs },
      ...{ load, defaultHeapLimitBytes },
      ...{ fold, analyses, networkx },
    };
    const f = foldSummary(fold);
    const headline = `fold: ${Math.round(f.windowsPerSecond)} windows/s (${f.usPerWindow.toFixed(1)} µs/window), ${(f.retainedBytes / 2 ** 20).toFixed(0)} MiB retained, ${(f.fullRingBytes / 2 ** 20).toFixed(0)} MiB at full rings`;
    const tables = [foldTable(fold), queriesTable(analyses), analysesTable(analyses)];
    console.log(
      [headline, ...tables, versionsLine(networkx), comparisonTable(analyses, networkx)].join(
        '\n\n',
      ),
    );
    write(md, markdown(report));
    write(json, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Run when started as a script (tsx puts this file in argv[1]), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runGraphBench(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
