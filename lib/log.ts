import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Options for {@link createLogger}.
 * - `level` (string, default `$MESHGRAPH_LOG_LEVEL` or `info`): minimum level written.
 * - `destination` (string | number, default 2 = stderr): file path or fd the JSON lines go to;
 *   stderr keeps stdout free for command output such as `stack status --json`.
 */
export interface LoggerOptions {
  level?: string;
  destination?: string | number;
}

/** One structured (JSON lines) logger per process; components take child loggers from it. */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.MESHGRAPH_LOG_LEVEL ?? 'info';
  const destination = pino.destination({ dest: options.destination ?? 2, sync: true });
  return pino({ name, level, base: { pid: process.pid } }, destination);
}
