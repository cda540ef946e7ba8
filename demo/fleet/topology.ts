import { type RunningLlmBackend, startLlmBackend } from './llm-backend.ts';
import { type Downstream, FaultControl, type RunningService, startService } from './service.ts';

/**
 * One member of the fleet.
 * - `name` (string, required): service and Envoy cluster name; its route prefix is `/<name>`.
 * - `kind` ('service' | 'llm', default 'service'): an HTTP service or an LLM backend stub.
 * - `downstream` (Downstream[], default []): services only; paths start with `/<callee>`.
 * - `serviceTimeMs` (() => number, default the runtime's 1–3 ms): services only.
 * - `model` (string, default `name`): LLM backends only.
 * - `replicas` (number, default 1): instances, each on its own port and an endpoint of the
 *   member's cluster; with more than one they are named `<name>-1`, `<name>-2`, … (see
 *   {@link instanceNames}), so a fault can hit one instance while its siblings stay healthy.
 * - `policy` ('static' | 'adaptive', default 'static'): the cluster's policy in the mesh config.
 */
export interface FleetMember {
  name: string;
  kind?: 'service' | 'llm';
  downstream?: Downstream[];
  serviceTimeMs?: () => number;
  model?: string;
  replicas?: number;
  policy?: 'static' | 'adaptive';
}

/** The member's instance names: `[name]` for one replica, else `name-1` … `name-N`. */
export function instanceNames(member: FleetMember): string[] {
  const replicas = member.replicas ?? 1;
  if (!(Number.isInteger(replicas) && replicas >= 1))
    throw new RangeError(`${member.name}: replicas ${replicas}`);
  if (replicas === 1) return [member.name];
  return Array.from({ length: replicas }, (_, i) => `${member.name}-${i + 1}`);
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

const demoScale: Partial<Record<string, Partial<FleetMember>>> = {
  web: { replicas: 2 },
  catalog: { replicas: 3, policy: 'adaptive' },
  cart: { replicas: 2 },
  db: { replicas: 3, policy: 'adaptive' },
};

/**
 * What `meshgraph demo` runs: {@link demoTopology} with several instances where it matters.
 * catalog and db have three each under `policy: adaptive`, so when one turns slow or fails the
 * policy has healthy siblings to move its weight to; web and cart have two (plain round robin).
 */
export const demoRunTopology: Topology = {
  members: demoTopology.members.map((m) => ({ ...m, ...demoScale[m.name] })),
};

/**
 * The mesh config YAML (xds-server/mesh-config/README.md) for a running fleet: one Envoy
 * listener, `ingress` on `ingressPort`, with one route per member (`/<name>` → cluster
 * `<name>`, one endpoint 127.0.0.1:`ports[instance]` per instance, `policy: adaptive` where the
 * member says so). Every service calls its downstreams through this same listener, so Envoy
 * sees (and logs to the collector) every hop. Routes are ordered longest
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
  const clusters = topology.members.map((m) => {
    const endpoints = instanceNames(m).map((instance) => {
      const port = ports[instance];
      if (port === undefined) throw new Error(`meshYamlFor: no port for ${instance}`);
      return `"127.0.0.1:${port}"`;
    });
    const policy = m.policy === 'adaptive' ? ', policy: adaptive' : '';
    return `  - { name: ${m.name}, endpoints: [${endpoints.join(', ')}]${policy} }`;
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
  /** Instance name (the member name for a single instance) → the port it listens on (127.0.0.1). */
  readonly ports: Readonly<Record<string, number>>;
  /** Instance name → its fault switch. */
  readonly faults: Readonly<Record<string, FaultControl>>;
  /** Member name → its instance names, in endpoint order. */
  readonly instances: Readonly<Record<string, readonly string[]>>;
  /** Stops every member; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts every instance of every member on a free port. `envoyPort` (number, required) is the
 * listener the services call through; Envoy may start after the fleet (calls are only made per
 * request). Instances carry their member's name as service name: to the graph, catalog-2 is an
 * endpoint of catalog, not a service of its own.
 */
export async function startFleet(
  topology: Topology,
  options: { envoyPort: number },
): Promise<RunningFleet> {
  const started: { instance: string; running: RunningService | RunningLlmBackend }[] = [];
  try {
    for (const m of topology.members) {
      for (const instance of instanceNames(m)) {
        const fault = new FaultControl();
        const running =
          m.kind === 'llm'
            ? await startLlmBackend({ name: m.name, model: m.model, fault })
            : await startService({
                name: m.name,
                downstream: m.downstream,
                envoyPort: options.envoyPort,
                serviceTimeMs: m.serviceTimeMs,
                fault,
              });
        started.push({ instance, running });
      }
    }
  } catch (error) {
    await Promise.all(started.map((s) => s.running.close()));
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    ports: Object.fromEntries(started.map((s) => [s.instance, s.running.port])),
    faults: Object.fromEntries(started.map((s) => [s.instance, s.running.fault])),
    instances: Object.fromEntries(topology.members.map((m) => [m.name, instanceNames(m)])),
    close() {
      closed ??= Promise.all(started.map((s) => s.running.close())).then(() => {});
      return closed;
    },
  };
}
