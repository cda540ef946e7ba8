/**
 * The loop benchmark driver. Every run (arm × scenario × repetition) gets fresh everything:
 * backends (own process), `meshgraph up` with its own Kafka and ClickHouse folder, a real Envoy
 * and the load generator (own process). The driver switches the fault at the phase edges
 * (and, in the oracle arm, the faulty endpoint's weight), and samples the weights each second.
 * Options: options.ts (`--help`); method: README.md.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../lib/log.ts';
import { loadAverage } from '../ingest/proc.ts';
import { machineInfo } from '../xds-scale/machine.ts';
import { phases } from './metrics.ts';
import { type Options, parseOptions, usage } from './options.ts';
import { oracle, policyOff } from './oracle.ts';
import {
  type FromBackends,
  type FromLoad,
  Peer,
  type ToBackends,
  type ToLoad,
} from './protocol.ts';
import {
  compactJson,
  machineLine,
  markdown,
  type Report,
  targets,
  targetsTable,
} from './report.ts';
import { aggregate, type RunRaw, type RunResult, runResult } from './result.ts';
import { type Arm, arms, meshYaml, type Scenario, scenarios } from './scenarios.ts';
import { type RunStack, startRunStack } from './stack.ts';
import { pollWeights } from './weights.ts';

const log = createLogger('bench-loop', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const progress = (line: string) => process.stderr.write(`[loop] ${line}\n`);
const until = (atMs: number) => sleep(Math.max(0, atMs - Date.now()));

async function measure(arm: Arm, scenario: Scenario, rep: number, o: Options): Promise<RunRaw> {
  const loadAverageBefore = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'meshgraph-bench-loop-'));
  const seed = o.seed + rep - 1;
  const here = import.meta.url;
  const backends = new Peer<ToBackends, FromBackends>('backends', new URL('./backends.ts', here));
  let load: Peer<ToLoad, FromLoad> | undefined;
  let stack: RunStack | undefined;
  const abort = new AbortController();
  try {
    const spec = { count: o.backends, medianMs: o.medianMs, sigma: o.sigma, seed };
    const ready = await backends.ask(
      { type: 'start', spec: { ...spec, workers: o.workers, queue: o.queue } },
      'ready',
    );
    const endpoints = ready.ports.map((port) => `127.0.0.1:${port}`);
    const faulty = 0;
    const faultyEndpoint = endpoints[faulty] as string;
    stack = await startRunStack({
      dir,
      log,
      yaml: (ports) =>
        meshYaml({
          arm,
          endpoints,
          listenerPort: ports.listener,
          collectorPort: ports.collector,
          timeoutMs: o.timeoutMs,
        }),
    });
    if (arm.oracle) await policyOff(stack);
    load = new Peer<ToLoad, FromLoad>('loadgen', new URL('./loadgen.ts', here));
    // Whole seconds, so per-second series line up with the phases.
    const startAtMs = Math.ceil(Date.now() / 1000) * 1000 + 2000;
    const p = phases(startAtMs, o.warmupS, o.phaseS, o.settleS);
    const durationMs = p.recovery[1] - startAtMs;
    await load.ask(
      {
        type: 'start',
        spec: {
          url: stack.listenerUrl,
          ratePerSecond: o.rate,
          seed,
          // Envoy's route timeout answers 504 first; this only catches a proxy that hangs.
          timeoutMs: o.timeoutMs + 500,
          startAtMs,
          durationMs,
        },
      },
      'started',
    );
    const done = load.next('done', durationMs + 120_000);
    done.catch(() => {}); // awaited below; a failure before that must not go unhandled
    const ports = { xdsAdmin: stack.xdsAdminPort, envoyAdmin: stack.envoyAdminPort };
    const polling = pollWeights(faultyEndpoint, ports, p.recovery[1], abort.signal);
    const { fault } = scenario;
    if (fault) {
      await until(p.fault[0]);
      const switchTo = (on: boolean, at: RunStack) =>
        Promise.all([
          backends.ask({ type: 'fault', index: faulty, fault: on ? fault : {} }, 'fault-set'),
          arm.oracle ? oracle(at, faultyEndpoint, on) : undefined,
        ]);
      await switchTo(true, stack);
      await until(p.recovery[0]);
      await switchTo(false, stack);
    }
    const weights = await polling;
    const { summary, columns } = await done;
    const report = await backends.ask({ type: 'report' }, 'report');
    return {
      arm: arm.name,
      scenario: scenario.name,
      rep,
      seed,
      phases: p,
      columns,
      arrivals: report.arrivals,
      faulty,
      weights,
      generator: summary,
      backends: report.counters,
      loadAverageBefore,
    };
  } finally {
    abort.abort();
    await load?.stop(10_000);
    await stack?.stop();
    await backends.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function write(path: string | undefined, text: string): void {
  if (!path) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const ms = (x: number) => (Number.isFinite(x) ? Math.round(x) : '—');
const line = (r: RunResult, tookS: number) => {
  const w = r.phases.faultLate;
  return `rep ${r.rep} ${r.scenario} ${r.arm}: fault-late p50/p99/p999 ${ms(w.p50Ms)}/${ms(w.p99Ms)}/${ms(w.p999Ms)} ms, errors ${(w.errorRate * 100).toFixed(2)}%, timeouts ${w.timeouts}; mitigated ${r.timeToMitigateS ?? 'never'} s, flips ${r.flips.total}, send lag max ${ms(r.generator.maxSendLagMs)} ms (${tookS} s)`;
};

/** Runs the benchmark with `argv` (options.ts); `command` is what the report says was run. */
export async function runLoopBench(
  argv: readonly string[],
  command = ['npx tsx bench/loop/run.ts', ...argv].join(' '),
): Promise<Report | undefined> {
  const options = parseOptions(argv);
  if (options.help) return void process.stdout.write(usage);
  const machine = machineInfo();
  const date = new Date().toISOString();
  console.log(`machine: ${machineLine(machine)}\ncommand: ${command}\ndate:    ${date}\n`);
  const { json, md, help, ...shown } = options;
  const chosenArms = arms.filter((a) => options.arms.includes(a.name));
  const chosenScenarios = scenarios.filter((s) => options.scenarios.includes(s.name));
  const raws: RunRaw[] = [];
  const results: RunResult[] = [];
  const report = (complete: boolean): Report => {
    const groups = chosenScenarios.flatMap((s) =>
      chosenArms.flatMap((a) => {
        const of = (r: { arm: string; scenario: string }) =>
          r.arm === a.name && r.scenario === s.name;
        return results.some(of) ? [aggregate(raws.filter(of), results.filter(of))] : [];
      }),
    );
    return {
      benchmark: 'loop',
      date,
      command,
      machine,
      options: shown,
      complete,
      aggregates: groups,
      runs: results,
    };
  };
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const scenario of chosenScenarios) {
      // Arms interleaved within a repetition: a slow drift of the machine hits every arm alike.
      for (const arm of chosenArms) {
        const t0 = Date.now();
        const raw = await measure(arm, scenario, rep, options);
        const result = runResult(raw);
        raws.push(raw);
        results.push(result);
        progress(line(result, Math.round((Date.now() - t0) / 1000)));
        write(json, `${compactJson(report(false))}\n`);
      }
    }
  }
  const final = report(true);
  console.log(`${targetsTable(targets(final.aggregates, options.loopPeriodS))}\n`);
  console.log(
    markdown(final)
      .split('\n## ')
      .slice(2)
      .map((s) => `## ${s}`)
      .join('\n'),
  );
  write(md, markdown(final));
  write(json, `${compactJson(final)}\n`);
  return final;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runLoopBench(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  });
}
