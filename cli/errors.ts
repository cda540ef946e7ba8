import { PrerequisiteError } from '../stack/prerequisites.ts';
import { MeshConfigError } from '../xds-server/start.ts';

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes: 1 failure, 2 bad usage, 3 missing prerequisite. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return 2;
  if (error instanceof PrerequisiteError) return 3;
  return 1;
}

/** Expected errors print their message alone; anything else keeps its stack for a bug report. */
export function describeError(error: unknown): string {
  if (
    error instanceof UsageError ||
    error instanceof PrerequisiteError ||
    error instanceof MeshConfigError
  ) {
    return error.message;
  }
  if (error instanceof Error)
    return process.env.MESHGRAPH_DEBUG ? (error.stack ?? error.message) : error.message;
  return String(error);
}
