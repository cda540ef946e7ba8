import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { projectRoot } from '../stack/paths.ts';
import { apiCommand } from './api.ts';
import { benchCommand } from './bench.ts';
import { collectorCommand } from './collector.ts';
import { demoCommand } from './demo.ts';
import { describeError, exitCodeFor } from './errors.ts';
import { jobsCommand } from './jobs.ts';
import { sqlCommand } from './sql.ts';
import { stackCommand } from './stack.ts';
import { upCommand } from './up.ts';
import { weightsCommand } from './weights.ts';
import { xdsCommand } from './xds.ts';

const { version } = JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as {
  version: string;
};

const program = new Command('meshgraph')
  .description('meshgraph: a traffic-aware control plane for Envoy')
  .version(version)
  .showHelpAfterError()
  .exitOverride();

program.addCommand(upCommand());
program.addCommand(stackCommand());
program.addCommand(xdsCommand());
program.addCommand(collectorCommand());
program.addCommand(jobsCommand());
program.addCommand(apiCommand());
program.addCommand(weightsCommand());
program.addCommand(sqlCommand());
program.addCommand(benchCommand());
program.addCommand(demoCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed help, the version or the usage error.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`meshgraph: ${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
