import { spawnSync } from 'node:child_process';

/**
 * A missing tool, package or registry. Its message is one line: what is missing and how to get
 * it. The CLI prints only that line (no stack trace) and exits with code 3.
 */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

/** Absolute path of `command` on PATH, or undefined. */
export function which(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v "$0"`, command], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found !== '' ? found : undefined;
}

/** `which`, or a PrerequisiteError saying how to install it. */
export function requireCommand(command: string, howToGet: string): string {
  const found = which(command);
  if (!found)
    throw new PrerequisiteError(`missing prerequisite: '${command}' is not on PATH; ${howToGet}`);
  return found;
}

/** The last non-empty line of a tool's output: the part worth quoting in a one-line error. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.at(-1) ?? '(no output)';
}
