import { UsageError } from './errors.ts';

/** A port flag: an integer 0..65535 (0 lets the kernel pick one). */
export function portOption(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${flag} must be a port 0..65535, got '${value}'`);
  }
  return n;
}

/** Resolves on the first SIGINT or SIGTERM: long-running commands stop cleanly on either. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
