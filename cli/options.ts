import { UsageError } from './errors.ts';

/** An integer flag within `min..max`; anything else is a usage error naming the flag. */
export function integerOption(
  value: string,
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}..${max}`;
    throw new UsageError(`${flag} must be an integer ${range}, got '${value}'`);
  }
  return n;
}

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
