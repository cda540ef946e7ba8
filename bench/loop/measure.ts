/**
 * One run of the loop benchmark (arm × scenario × repetition) with fresh everything: backends
 * (own process), `meshgraph up` with its own Kafka and ClickHouse folder, a real Envoy and the
 * load generator (own process). It switches the fault at the phase edges (and, in the oracle
 * arm, the faulty endpoint's weight) and samples the weights each second.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../lib/log.ts';
import { loadAverage } from '../ingest/proc.ts';
import { phases } from './metrics.ts';
import type { Options } from './options.ts';
import { oracle, policyOff } from './oracle.ts';
import {
  type FromBackends,
  type FromLoad,
  Peer,
  type ToBackends,
  type ToLoad,
} from './protocol.ts';
import type { RunRaw } from './result.ts';
import { type Arm, meshYaml, type Scenario } from './scenarios.ts';
import { type RunStack, startRunStack } from './stack.ts';
import { pollWeights } from './weights.ts';

const log = createLogger('bench-loop', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const until = (atMs: number) => sleep(Math.max(0, atMs - Date.now()));

/** Stops the run in progress (its stack, backends and generator). */
const cleanups = new Set<() => Promise<void>>();

/**
 * On the first SIGINT or SIGTERM: stop the run in progress and exit; completed runs are already
 * in the results. A second signal exits at once (Node's default, the handler being spent).
 */
export function onInterrupt(
  json: string | undefined,
  progress: (line: string) => void,
): () => void {
  const handler = (signal: NodeJS.Signals) => {
    progress(
      `${signal}: stopping the run in progress (its result is lost); the completed runs are in ${json ?? '(no --json)'}${json ? `, resume with --resume ${json}` : ''}`,
    );
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** One run: fresh backends, stack, Envoy and load generator, the fault switched at the phase edges. */
export async function measure(
  arm: Arm,
  scenario: Scenario,
  rep: number,
  o: Options,
): Promise<RunRaw> {
  const loadAverageBefore = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'meshgraph-bench-loop-'));
  const seed = o.seed + rep - 1;
  const here = import.meta.url;
  const backends = new Peer<ToBackends, FromBackends>('backends', new URL('./backends.ts', here));
  let load: Peer<ToLoad, FromLoad> | undefined;
  let stack: RunStack | undefined;
  const abort = new AbortController();
  let stopping: Promise<void> | undefined;
  // Idempotent: from the finally below, or from an interrupt (`meshgraph up` runs detached and
  // would outlive the driver, taking the machine from the next session).
  const cleanup = () => {
    stopping ??= (async () => {
      abort.abort();
      await load?.stop(10_000);
      await stack?.stop();
      await backends.stop();
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  cleanups.add(cleanup);
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
    await cleanup();
    cleanups.delete(cleanup);
  }
}
