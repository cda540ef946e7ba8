import { type RunningLlmBackend, startLlmBackend } from './llm-backend.ts';
import { type Downstream, FaultControl, type RunningService, startService } from './service.ts';

/**
 * One member of the fleet.
 * - `name` (string, required): service and Envoy cluster name; its route prefix is `/<name>`.
 * - `kind` ('service' | 'llm', default 'service'): an HTTP service or an LLM backend stub.
 * - `downstream` (Downstream[], default []): services only; paths start with `/<callee>`.
 * - `serviceTimeMs` (() => number, default the runtime's 1–3 ms): services only.
 * - `model` (string, default `name`): LLM backends only.
 */
export interface FleetMember {
  name: string;
  kind?: 'service' | 'llm';
  downstream?: Downstream[];
  serviceTimeMs?: () => number;
  model?: string;
}

/** The members, the entry service first (the one the ingress load targets). */
export interface Topology {
  members: FleetMember[];
}

const chat = {
  messages: [{ role: 'user', content: 'Recommend three items like the one in my cart.' }],
};

/**
 * The demo fleet: web → catalog / cart / recommend; catalog → db; cart → cache, db;
 * recommend → llm-a (70% of its requests) and llm-b (30%). db sits two hops below web on two
 * paths, which is what makes it a good deep fault for root-cause analysis.
 */
export const demoTopology: Topology = {
  members: [
    { name: 'web', downstream: [{ path: '/catalog' }, { path: '/cart' }, { path: '/recommend' }] },
    { name: 'catalog', downstream: [{ path: '/db' }] },
    { name: 'cart', downstream: [{ path: '/cache' }, { path: '/db' }] },
    {
      name: 'recommend',
      downstream: [
        { path: '/llm-a/v1/chat/completions', weight: 0.7, body: { model: 'model-a', ...chat } },
        { path: '/llm-b/v1/chat/completions', weight: 0.3, body: { model: 'model-b', ...chat } },
      ],
    },
    { name: 'db' },
    { name: 'cache' },
    { name: 'llm-a', kind: 'llm', model: 'model-a' },
    { name: 'llm-b', kind: 'llm', model: 'model-b' },
  ],
};

/**
 * The mesh config YAML (xds-server/mesh-config/README.md) for a running fleet: one Envoy
 * listener, `ingress` on `ingressPort`, with one route per member (`/<name>` → cluster
 * `<name>` → 127.0.0.1:`ports[name]`). Every service calls its downstreams through this same
 * listener, so Envoy sees (and logs to the collector) every hop. Routes are ordered longest
 * prefix first, since prefixes match as plain strings and the first match wins. No retries:
 * they would hide the errors the demo injects.
 */
export function meshYamlFor(
  topology: Topology,
  ports: Readonly<Record<string, number>>,
  collectorPort: number,
  ingressPort: number,
): string {
  const names = topology.members.map((m) => m.name);
  const routes = [...names]
    .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
    .map((n) => `      - { name: ${n}, match: { prefix: "/${n}" }, cluster: ${n}, timeout: 10s }`);
  const clusters = names.map((n) => {
    const port = ports[n];
    if (port === undefined) throw new Error(`meshYamlFor: no port for ${n}`);
    return `  - { name: ${n}, endpoints: ["127.0.0.1:${port}"] }`;
  });
  return [
    'listeners:',
    '  - name: ingress',
    `    port: ${ingressPort}`,
    '    routes:',
    ...routes,
    'clusters:',
    ...clusters,
    `accessLog: { collector: "127.0.0.1:${collectorPort}" }`,
    '',
  ].join('\n');
}

export interface RunningFleet {
  /** Member name → the port it listens on (127.0.0.1). */
  readonly ports: Readonly<Record<string, number>>;
  /** Member name → its fault switch. */
  readonly faults: Readonly<Record<string, FaultControl>>;
  /** Stops every member; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts every member on a free port. `envoyPort` (number, required) is the listener the
 * services call through; Envoy may start after the fleet (calls are only made per request).
 */
export async function startFleet(
  topology: Topology,
  options: { envoyPort: number },
): Promise<RunningFleet> {
  const started: (RunningService | RunningLlmBackend)[] = [];
  try {
    for (const m of topology.members) {
      const fault = new FaultControl();
      started.push(
        m.kind === 'llm'
          ? await startLlmBackend({ name: m.name, model: m.model, fault })
          : await startService({
              name: m.name,
              downstream: m.downstream,
              envoyPort: options.envoyPort,
              serviceTimeMs: m.serviceTimeMs,
              fault,
            }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    ports: Object.fromEntries(started.map((s) => [s.name, s.port])),
    faults: Object.fromEntries(started.map((s) => [s.name, s.fault])),
    close() {
      closed ??= Promise.all(started.map((s) => s.close())).then(() => {});
      return closed;
    },
  };
}
