/** The real dependencies meshgraph runs against. */
export type ComponentName = 'envoy' | 'kafka' | 'clickhouse';

export const componentNames: readonly ComponentName[] = ['kafka', 'clickhouse', 'envoy'];

/** How to start one prepared component: the command line plus where it will listen. */
export interface LaunchPlan {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The port `stack status` shows: Envoy's admin, Kafka's broker, ClickHouse's HTTP. */
  port: number;
  /** Every port a client may need, by role (for example `{ admin, listener }`). */
  endpoints: Record<string, number>;
}

/**
 * What the stack needs to know about one dependency. Drivers are pure setup: they write config
 * into a folder and say how to start and probe; `stack/process.ts` owns the process itself.
 */
export interface ComponentDriver {
  readonly name: ComponentName;
  /** Throws a PrerequisiteError (one line, how to fix) when the component is not installed. */
  checkInstalled(): Promise<void>;
  /** Writes config and data folders under `dir`, picks ports, returns how to start it. */
  prepare(dir: string): Promise<LaunchPlan>;
  /** One readiness check, true once the component serves requests; never throws. */
  isReady(plan: LaunchPlan): Promise<boolean>;
}
