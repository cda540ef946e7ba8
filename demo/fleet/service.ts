import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A fault switched on and off at run time.
 * - `extraLatencyMs` (number, default 0): added to every request's service time.
 * - `errorRate` (number 0..1, default 0): share of requests answered 503 (after the service
 *   time and extra latency: a failing dependency still costs its caller time).
 */
export interface Fault {
  extraLatencyMs?: number;
  errorRate?: number;
}

/** The live fault of one service or backend; `set` replaces it, `clear` ends it. */
export class FaultControl {
  #fault: Required<Fault> = { extraLatencyMs: 0, errorRate: 0 };

  constructor(private readonly random: () => number = Math.random) {}

  set(fault: Fault): void {
    const errorRate = fault.errorRate ?? 0;
    const extraLatencyMs = fault.extraLatencyMs ?? 0;
    if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`errorRate ${errorRate}`);
    if (!(extraLatencyMs >= 0)) throw new RangeError(`extraLatencyMs ${extraLatencyMs}`);
    this.#fault = { extraLatencyMs, errorRate };
  }

  clear(): void {
    this.set({});
  }

  get current(): Readonly<Required<Fault>> {
    return this.#fault;
  }

  /** Draws whether this request fails. */
  fails(): boolean {
    return this.#fault.errorRate > 0 && this.random() < this.#fault.errorRate;
  }
}

/**
 * One downstream call per request.
 * - `path` (string, required): the request path on Envoy, starting with the callee's route
 *   prefix, e.g. `/db` or `/llm-a/v1/chat/completions`.
 * - `weight` (number 0..1, default 1): the probability that a request makes this call, so a
 *   topology can say "half of recommend's requests ask llm-b".
 * - `body` (unknown, default none): sent as JSON with POST when given; GET otherwise.
 */
export interface Downstream {
  path: string;
  weight?: number;
  body?: unknown;
}

/** The request header naming the calling service (the collector's default `sourceHeader`). */
export const sourceHeader = 'x-meshgraph-source';
/**
 * The request header naming the calling instance, `host:port` as its own cluster lists it (the
 * collector's default `sourceInstanceHeader`): what lets the policy tell which endpoints of a
 * cluster depend on a degraded service (stream-jobs/policy/README.md, dependency health).
 */
export const sourceInstanceHeader = 'x-meshgraph-source-instance';

/**
 * Options for {@link startService}.
 * - `name` (string, required): the service name, sent as `x-meshgraph-source` on every
 *   downstream call (Envoy logs it, so the collector knows the caller).
 * - `port` (number, default 0: any free port): where it listens, on 127.0.0.1.
 * - `instance` (string, default `127.0.0.1:<the port it listens on>`, the endpoint
 *   meshYamlFor lists it as): this instance as its cluster's endpoint list names it, sent as
 *   `x-meshgraph-source-instance` on every downstream call. Set it when the cluster reaches the
 *   service under another address (a proxy in front, another host name).
 * - `downstream` (Downstream[], default []): called in parallel on each request.
 * - `envoyPort` (number, required): the Envoy listener every downstream call goes through.
 * - `serviceTimeMs` (() => number, default 1–3 ms uniform): own work per request.
 * - `fault` (FaultControl, default a new one, no fault).
 * - `timeoutMs` (number, default 5,000): per downstream call; a timeout counts as a failure.
 */
export interface ServiceOptions {
  name: string;
  port?: number;
  instance?: string;
  downstream?: Downstream[];
  envoyPort: number;
  serviceTimeMs?: () => number;
  fault?: FaultControl;
  timeoutMs?: number;
}

export interface RunningService {
  readonly name: string;
  readonly port: number;
  /** `host:port` as sent in `x-meshgraph-source-instance`. */
  readonly instance: string;
  readonly fault: FaultControl;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port`, returns once listening. */
export async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server and its idle keep-alive sockets (Envoy holds some open). */
export function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/** Who is calling: the service and its instance, sent with every downstream call. */
interface Caller {
  readonly name: string;
  readonly instance: string;
}

/** Calls one downstream through Envoy; resolves to its status, 0 for a network failure. */
function call(
  agent: http.Agent,
  envoyPort: number,
  caller: Caller,
  downstream: Downstream,
  timeoutMs: number,
): Promise<number> {
  const body = downstream.body === undefined ? undefined : JSON.stringify(downstream.body);
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: envoyPort,
        path: downstream.path,
        method: body === undefined ? 'GET' : 'POST',
        agent,
        timeout: timeoutMs,
        headers: {
          [sourceHeader]: caller.name,
          [sourceInstanceHeader]: caller.instance,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        response.resume(); // the body does not matter, only whether the call worked
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

/**
 * A demo service: waits its service time, fails if its fault says so, else calls its
 * downstreams through Envoy and answers 502 if any of them failed. Propagating errors upstream
 * is the point: root-cause analysis must see through services that only pass a failure on.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const fault = options.fault ?? new FaultControl();
  const serviceTimeMs = options.serviceTimeMs ?? (() => 1 + Math.random() * 2);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // Known once listening; requests (and so downstream calls) only come after that.
  const caller = { name: options.name, instance: options.instance ?? '' };
  const server = http.createServer((req, res) => {
    req.resume();
    void (async () => {
      await delay(serviceTimeMs() + fault.current.extraLatencyMs);
      let status = 200;
      if (fault.fails()) status = 503;
      else {
        const chosen = (options.downstream ?? []).filter((d) => Math.random() < (d.weight ?? 1));
        const statuses = await Promise.all(
          chosen.map((d) => call(agent, options.envoyPort, caller, d, timeoutMs)),
        );
        if (statuses.some((s) => s < 200 || s >= 300)) status = 502;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: options.name, status }));
    })();
  });
  const port = await listen(server, options.port ?? 0);
  caller.instance = options.instance ?? `127.0.0.1:${port}`;
  return {
    name: options.name,
    port,
    instance: caller.instance,
    fault,
    async close() {
      agent.destroy();
      await closeServer(server);
    },
  };
}
