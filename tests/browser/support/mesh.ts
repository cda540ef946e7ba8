import { DDSketch } from '@datadog/sketches-js';
import { EdgeStats } from '../../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { GraphFold } from '../../../stream-jobs/graph/fold.ts';

export const W = 10_000;

/** A call edge of the demo mesh: requests per window, and the endpoints that serve them. */
interface Call {
  source: string;
  destination: string;
  requests: number;
  ms: number;
  endpoints: string[];
}

/**
 * The demo topology the browser tests draw:
 * ingress → frontend → catalog → db, cache;  frontend → cart → db, payments.
 * Each destination has endpoints (hosts edges), e.g. catalog/10.0.1.1:8080.
 */
export const demoCalls: readonly Call[] = [
  {
    source: 'ingress',
    destination: 'frontend',
    requests: 200,
    ms: 40,
    endpoints: ['10.0.0.1:8080', '10.0.0.2:8080'],
  },
  {
    source: 'frontend',
    destination: 'catalog',
    requests: 120,
    ms: 20,
    endpoints: ['10.0.1.1:8080', '10.0.1.2:8080'],
  },
  { source: 'frontend', destination: 'cart', requests: 60, ms: 25, endpoints: ['10.0.2.1:8080'] },
  { source: 'catalog', destination: 'db', requests: 80, ms: 5, endpoints: ['10.0.3.1:5432'] },
  { source: 'catalog', destination: 'cache', requests: 150, ms: 1, endpoints: ['10.0.5.1:6379'] },
  { source: 'cart', destination: 'db', requests: 40, ms: 6, endpoints: ['10.0.3.1:5432'] },
  { source: 'cart', destination: 'payments', requests: 20, ms: 80, endpoints: ['10.0.4.1:8080'] },
];

/** Every node key the demo mesh has: services, the ingress and the endpoints. */
export function demoNodes(calls: readonly Call[] = demoCalls): string[] {
  const keys = new Set<string>();
  for (const call of calls) {
    keys.add(call.source).add(call.destination);
    for (const endpoint of call.endpoints) keys.add(`${call.destination}/${endpoint}`);
  }
  return [...keys].sort();
}

function window(
  call: Call,
  startMs: number,
  endpoint: string,
  requests: number,
  failing: boolean,
): EdgeStats {
  const sketch = new DDSketch();
  for (let i = 0; i < requests; i++) sketch.accept(call.ms * 1000);
  const errors = failing ? requests : 0;
  const message = EdgeStats.fromPartial({
    sourceService: call.source,
    destinationCluster: call.destination,
    upstreamEndpoint: endpoint,
    windowStartMs: startMs,
    windowSeconds: 10,
    requests,
    status2xx: requests - errors,
    status5xx: errors,
    latencySketch: Buffer.from(sketch.toProto()),
  });
  return EdgeStats.decode(EdgeStats.encode(message).finish());
}

/**
 * A live graph fed like the graph view feeds it (edge-stats windows through protobuf into a
 * GraphFold), with a clock the API reads as `now`. `tick` folds one 10-s window of every call
 * and advances the clock: the fold emits its changes, the SSE stream carries them to the page.
 */
export class DemoMesh {
  readonly fold = new GraphFold({ lagMs: 0 });
  clockMs: number;
  /** Destinations whose every request fails from the next tick on. */
  readonly failing = new Set<string>();

  constructor(
    readonly calls: readonly Call[] = demoCalls,
    warmupWindows = 6,
    startMs = Math.floor(Date.now() / W) * W - warmupWindows * W,
  ) {
    this.clockMs = startMs;
    for (let i = 0; i < warmupWindows; i++) this.tick();
  }

  readonly now = (): number => this.clockMs;

  tick(): void {
    const at = this.clockMs;
    for (const call of this.calls) {
      const failing = this.failing.has(call.destination);
      this.fold.apply(window(call, at, '', call.requests, failing));
      const share = Math.floor(call.requests / call.endpoints.length);
      for (const endpoint of call.endpoints)
        this.fold.apply(window(call, at, endpoint, share, failing));
    }
    this.clockMs = at + W;
    this.fold.advance(this.clockMs);
  }
}
