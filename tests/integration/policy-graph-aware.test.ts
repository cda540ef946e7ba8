import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { freePort } from '../../stack/ports.ts';
import { defaultPolicyOptions } from '../../stream-jobs/policy/options.ts';
import { type RunningPolicy, startPolicyJob } from '../../stream-jobs/policy/start.ts';
import { startUpstream, type TestUpstream } from '../support/http-upstream.ts';
import { startLoad } from '../support/load.ts';
import { startTestPipeline, type TestPipeline, waitForEnvoyAnswer } from '../support/pipeline.ts';
import type { TestStack } from '../support/stack.ts';
import {
  envoyEndpointWeights,
  startAdsEnvoy,
  startXds,
  waitFor,
  type XdsTestServer,
} from '../support/xds.ts';

// Issue 6's graph-aware input on the real data path: Envoy logs the calling instance
// (x-meshgraph-source-instance) → collector → Kafka → rollup's per-instance windows →
// policy → routing.v1 → xds-server → Envoy. Four backends of one adaptive cluster answer alike;
// the calls each backend instance makes to its dependency `dep` are sent by the test, through
// Envoy, with that instance's headers (what the demo's services send), and `dep` fails the calls
// of two of them. Their own statistics stay equal, so only the dependency health can tell them
// apart.

const log = createLogger('test-policy-graph', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });

describe('the adaptive policy prefers endpoints whose dependencies are healthy', () => {
  let pipeline: TestPipeline;
  let policy: RunningPolicy;
  let xds: XdsTestServer;
  let envoy: TestStack;
  const backends: TestUpstream[] = [];
  let dep: TestUpstream;
  const failing = new Set<string>();
  const loads: Array<ReturnType<typeof startLoad>> = [];
  const keyOf = (b: TestUpstream) => `127.0.0.1:${b.port}`;

  beforeAll(async () => {
    pipeline = await startTestPipeline('policy-graph', log);
    const { brokers, collector, store } = pipeline;
    for (let i = 0; i < 4; i++) backends.push(await startUpstream(`b${i}`, { delayMs: () => 5 }));
    dep = await startUpstream('dep', {
      delayMs: () => 2,
      status: (request) =>
        failing.has(String(request.headers['x-meshgraph-source-instance'])) ? 503 : 200,
    });
    const [backendPort, depPort] = [await freePort(), await freePort()];
    xds = await startXds(
      `listeners:
  - name: ingress
    port: ${backendPort}
    routes: [{ name: backend, cluster: backend, timeout: 5s }]
  - name: to-dep
    port: ${depPort}
    routes: [{ name: dep, cluster: dep, timeout: 5s }]
clusters:
  - name: backend
    lbPolicy: least_request
    policy: adaptive
    endpoints: [${backends.map((b) => `"${keyOf(b)}"`).join(', ')}]
  - name: dep
    endpoints: ["${keyOf(dep)}"]
accessLog: { collector: "127.0.0.1:${collector.grpcPort}" }
`,
      { brokers },
    );
    policy = await startPolicyJob({
      brokers,
      store,
      meshConfig: () => xds.server.controlPlane.currentConfig(),
      policy: defaultPolicyOptions,
      log,
    });
    envoy = await startAdsEnvoy(xds);
    await waitForEnvoyAnswer(backendPort, '/', 'the backends');
    loads.push(startLoad({ port: backendPort, rate: 200, maxRequests: 10_000_000 }));
    for (const b of backends)
      loads.push(
        startLoad({
          port: depPort,
          rate: 30,
          maxRequests: 10_000_000,
          headers: { 'x-meshgraph-source': 'backend', 'x-meshgraph-source-instance': keyOf(b) },
        }),
      );
    await waitFor(
      'a first adaptive decision',
      () => policy.control.current().find((d) => d.dataUpToMs > 0),
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await envoy?.stop();
    await policy?.close();
    await xds?.stop();
    await Promise.all([...backends, dep].map((b) => b?.close()));
    await pipeline?.close();
  });

  it('turns down the endpoints whose own calls fail, and back up when they heal', async () => {
    const admin = envoy.envoy?.adminPort as number;
    const [b0, b1, b2, b3] = backends.map(keyOf) as [string, string, string, string];
    failing.add(b0).add(b1);
    const since = Date.now();
    const turnedDown = await waitFor(
      'b0 and b1 below b2 and b3 in Envoy',
      async () => {
        const w = await envoyEndpointWeights(admin, 'backend');
        const at = (key: string) => w[key] ?? Number.NaN;
        return Math.max(at(b0), at(b1)) < Math.min(at(b2), at(b3)) ? w : undefined;
      },
      40_000,
    );
    // The weights can drop while the smoothed dependency health is still on its way down, so
    // wait for the decision to show it rather than sampling the decision of that moment.
    const health = await waitFor(
      'dependency health of b0 and b1 below 0.8',
      () => {
        const decision = policy.control.current().find((d) => d.cluster === 'backend');
        const h = new Map(decision?.endpoints.map((e) => [e.endpoint, e.inputs.dependencyHealth]));
        return Math.max(h.get(b0) ?? 1, h.get(b1) ?? 1) < 0.8 ? h : undefined;
      },
      20_000,
    );
    expect(health.get(b0)).toBeLessThan(0.8);
    expect(health.get(b1)).toBeLessThan(0.8);
    expect(health.get(b2)).toBe(1);
    expect(health.get(b3)).toBe(1);
    log.warn({ ms: Date.now() - since, weights: turnedDown }, 'dependency-aware weights');

    failing.clear();
    await waitFor(
      'equal weights again once the calls heal',
      async () => {
        const w = Object.values(await envoyEndpointWeights(admin, 'backend'));
        return new Set(w).size === 1 ? true : undefined;
      },
      90_000,
    );
  }, 150_000);
});
