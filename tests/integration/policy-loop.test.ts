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

// Issue 6's acceptance, on the real loop: Envoy → ALS collector → Kafka → rollup → edge-stats.v1
// → policy job → routing.v1 → xds-server → Envoy, with four backends behind one adaptive cluster.
// Shares are what the backends actually served, second by second, not what the weights promise.

const log = createLogger('test-policy-loop', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const rate = 200; // req/s: ~50 per backend per second, enough for 1-s windows to mean something
const baseDelayMs = 5;
const slowDelayMs = 120;
/** Shorter than the 30-s default so the policy-death case ends soon; above the 10-s refresh. */
const decisionExpiryMs = 15_000;

interface Backend {
  upstream: TestUpstream;
  delayMs: number;
  key: string;
}

describe('the adaptive policy on the real loop', () => {
  let pipeline: TestPipeline;
  let policy: RunningPolicy;
  let xds: XdsTestServer;
  let envoy: TestStack;
  let envoyPort: number;
  let load: ReturnType<typeof startLoad>;
  const backends: Backend[] = [];
  /** hits per backend, sampled every 250 ms: [atMs, hits[]] */
  const samples: Array<{ atMs: number; hits: number[] }> = [];
  let sampler: NodeJS.Timeout | undefined;

  /** Each backend's share of what was served over the last `windowMs`. */
  function shares(windowMs = 2_000): number[] | undefined {
    const last = samples.at(-1);
    const first = [...samples].reverse().find((s) => last && s.atMs <= last.atMs - windowMs);
    if (!last || !first) return undefined;
    const served = last.hits.map((h, i) => h - (first.hits[i] ?? 0));
    const total = served.reduce((a, b) => a + b, 0);
    return total > 0 ? served.map((s) => s / total) : undefined;
  }

  beforeAll(async () => {
    pipeline = await startTestPipeline('policy-loop', log);
    const { brokers, collector, store } = pipeline;
    for (let i = 0; i < 4; i++) {
      const backend = { delayMs: baseDelayMs } as Backend;
      backend.upstream = await startUpstream(`b${i}`, { delayMs: () => backend.delayMs });
      backend.key = `127.0.0.1:${backend.upstream.port}`;
      backends.push(backend);
    }
    envoyPort = await freePort();
    xds = await startXds(
      `listeners:
  - name: ingress
    port: ${envoyPort}
    routes: [{ name: backend, cluster: backend, timeout: 5s }]
clusters:
  - name: backend
    lbPolicy: least_request
    policy: adaptive
    endpoints: [${backends.map((b) => `"${b.key}"`).join(', ')}]
accessLog: { collector: "127.0.0.1:${collector.grpcPort}" }
`,
      { brokers, decisionExpiryMs },
    );
    policy = await startPolicyJob({
      brokers,
      store,
      meshConfig: () => xds.server.controlPlane.currentConfig(),
      policy: defaultPolicyOptions,
      log,
    });
    envoy = await startAdsEnvoy(xds);
    await waitForEnvoyAnswer(envoyPort, '/', 'the backends');
    load = startLoad({ port: envoyPort, rate, maxRequests: 10_000_000 });
    sampler = setInterval(() => {
      samples.push({ atMs: Date.now(), hits: backends.map((b) => b.upstream.hits()) });
    }, 250);
    // Statistics flowing: a decision that rests on data.
    await waitFor(
      'a first adaptive decision',
      () => policy.control.current().find((d) => d.dataUpToMs > 0),
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    clearInterval(sampler);
    await load?.stop();
    await envoy?.stop();
    await policy?.close();
    await xds?.stop();
    await Promise.all(backends.map((b) => b.upstream.close()));
    await pipeline?.close();
  });

  it('moves traffic off a degraded backend within 10 s and back within 60 s of recovery', async () => {
    const [slow] = backends as [Backend];
    slow.delayMs = slowDelayMs;
    const faultAt = Date.now();
    await waitFor(
      'the slow backend’s share below 5%',
      () => {
        const s = shares();
        return s && (s[0] as number) < 0.05 ? true : undefined;
      },
      15_000,
    );
    expect(Date.now() - faultAt).toBeLessThanOrEqual(10_000);
    // The loop-latency metric saw the pushes: access-log time → Envoy's EDS ACK, in seconds.
    const loop = { cluster: 'backend' };
    const count = await xds.metric('meshgraph_loop_latency_seconds_count', loop);
    const sum = await xds.metric('meshgraph_loop_latency_seconds_sum', loop);
    expect(count).toBeGreaterThan(0);
    expect(sum / count).toBeGreaterThan(0.5); // 1-s windows closing: never instant
    expect(sum / count).toBeLessThan(10);

    slow.delayMs = baseDelayMs;
    const recoveredAt = Date.now();
    await waitFor(
      'the recovered backend’s share above 15%',
      () => {
        const s = shares(3_000);
        return s && (s[0] as number) > 0.15 ? true : undefined;
      },
      70_000,
    );
    expect(Date.now() - recoveredAt).toBeLessThanOrEqual(60_000);
  }, 120_000);

  it('keeps weights equal when every backend degrades (panic guard)', async () => {
    for (const b of backends) b.delayMs = slowDelayMs;
    try {
      const since = Date.now();
      // Ten intervals of all-slow data: long enough for any ejection or drift to show.
      const decision = await waitFor(
        'ten seconds of decisions on all-slow data',
        () => policy.control.current().find((d) => d.dataUpToMs > since + 10_000),
        40_000,
      );
      const weights = decision.endpoints.map((e) => e.weight);
      expect(new Set(weights).size, `weights ${weights}`).toBe(1);
      expect(weights[0]).toBeGreaterThan(0);
      const envoyWeights = Object.values(
        await envoyEndpointWeights(envoy.envoy?.adminPort as number, 'backend'),
      );
      expect(new Set(envoyWeights).size, `Envoy's weights ${envoyWeights}`).toBe(1);
    } finally {
      for (const b of backends) b.delayMs = baseDelayMs;
    }
  }, 60_000);

  it('holds a pinned weight; dry-run records decisions and pushes nothing', async () => {
    const [first, second] = backends as [Backend, Backend];
    const admin = envoy.envoy?.adminPort as number;
    const pinned = policy.control.setOverride('backend', {
      mode: 'active',
      pins: new Map([[first.key, 7]]),
    });
    expect(pinned.ok).toBe(true);
    await waitFor('Envoy holding the pinned weight', async () => {
      const weights = await envoyEndpointWeights(admin, 'backend');
      return weights[first.key] === 7 ? true : undefined;
    });
    const decision = policy.control.current().find((d) => d.cluster === 'backend');
    expect(decision?.endpoints.find((e) => e.endpoint === first.key)).toMatchObject({
      weight: 7,
      reason: 'pinned',
    });

    // Dry-run: the cluster goes back to its configured weights (1 each) and stays there while a
    // degraded backend would otherwise be moved off; decisions keep being computed and recorded.
    policy.control.setOverride('backend', { mode: 'dry-run', pins: new Map() });
    await waitFor('Envoy back on the configured weights', async () => {
      const weights = Object.values(await envoyEndpointWeights(admin, 'backend'));
      return weights.every((w) => w === 1) ? true : undefined;
    });
    const applied = await xds.metric('meshgraph_routing_decisions_total', { outcome: 'applied' });
    const since = Date.now();
    second.delayMs = slowDelayMs;
    try {
      const dry = await waitFor(
        'a dry-run decision moving weight off the slow backend',
        () =>
          policy.control
            .current()
            .find(
              (d) =>
                d.dryRun &&
                d.decidedAtMs > since &&
                (d.endpoints.find((e) => e.endpoint === second.key)?.weight ?? 99) <
                  (d.endpoints.find((e) => e.endpoint === first.key)?.weight ?? 0),
            ),
        30_000,
      );
      expect(dry.dryRun).toBe(true);
      const recorded = await waitFor('the dry-run decision in routing_decisions', async () => {
        const history = await policy.control.history('backend', { sinceMs: since, limit: 100 });
        return history.find((d) => d.dryRun) ? history : undefined;
      });
      expect(recorded.every((d) => d.dryRun)).toBe(true);
      expect(await xds.metric('meshgraph_routing_decisions_total', { outcome: 'applied' })).toBe(
        applied,
      );
      const weights = Object.values(await envoyEndpointWeights(admin, 'backend'));
      expect(weights).toEqual([1, 1, 1, 1]);
    } finally {
      second.delayMs = baseDelayMs;
      policy.control.clearOverride('backend');
    }
  }, 90_000);

  it('returns to the configured weights within the stale timeout when statistics stop', async () => {
    const [slow] = backends as [Backend];
    const admin = envoy.envoy?.adminPort as number;
    slow.delayMs = slowDelayMs;
    await waitFor(
      'weights moved off the slow backend',
      async () => {
        const weights = await envoyEndpointWeights(admin, 'backend');
        return Object.values(weights).some((w) => w !== weights[slow.key]) ? true : undefined;
      },
      30_000,
    );
    await pipeline.stopRollup(); // the statistics stop: no more edge-stats.v1
    const stoppedAt = Date.now();
    await waitFor(
      'Envoy back on the configured weights',
      async () => {
        const weights = Object.values(await envoyEndpointWeights(admin, 'backend'));
        return weights.every((w) => w === 1) ? true : undefined;
      },
      30_000,
    );
    const staleAfterMs = defaultPolicyOptions.staleAfterMs;
    // The rollup's last windows still arrive up to its allowed lateness (2 s) after it stops,
    // then the stale timeout runs, then one interval and the push.
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(staleAfterMs + 2_000 + 3_000);
    const decision = policy.control.current().find((d) => d.cluster === 'backend');
    expect(decision?.reason).toBe('stale');
    slow.delayMs = baseDelayMs;
  }, 60_000);

  it('returns to the configured weights when the policy job itself stops (decisions expire)', async () => {
    const [first] = backends as [Backend];
    const admin = envoy.envoy?.adminPort as number;
    // A pin moves a weight without statistics (the rollup is gone by now).
    policy.control.setOverride('backend', { mode: 'active', pins: new Map([[first.key, 5]]) });
    await waitFor('Envoy holding the pinned weight', async () => {
      const weights = await envoyEndpointWeights(admin, 'backend');
      return weights[first.key] === 5 ? true : undefined;
    });
    await policy.close();
    const stoppedAt = Date.now();
    await waitFor(
      'Envoy back on the configured weights',
      async () => {
        const weights = Object.values(await envoyEndpointWeights(admin, 'backend'));
        return weights.every((w) => w === 1) ? true : undefined;
      },
      decisionExpiryMs + 15_000,
    );
    // The last decision is at most one refresh (10 s) old when the job stops; the expiry is
    // checked every expiry/6.
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(
      decisionExpiryMs + decisionExpiryMs / 6 + 2_000,
    );
    expect(await xds.metric('meshgraph_routing_decisions_total', { outcome: 'expired' })).toBe(1);
  }, 60_000);
});
