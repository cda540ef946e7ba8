import { describe, expect, it } from 'vitest';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { PolicyJob } from '../../stream-jobs/policy/job.ts';
import { defaultPolicyOptions } from '../../stream-jobs/policy/options.ts';
import { newSketch, sketchToBytes } from '../../stream-jobs/rollup/sketch.ts';
import { parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';
import type { MeshConfig } from '../../xds-server/mesh-config/types.ts';

const endpoints = ['127.0.0.1:9001', '127.0.0.1:9002', '127.0.0.1:9003', '127.0.0.1:9004'];

function config(policy: 'adaptive' | 'static', list = endpoints): MeshConfig {
  const result = parseMeshConfig(
    `listeners: [{ name: l, port: 10000, routes: [{ name: r, cluster: c }] }]
clusters:
  - name: c
    policy: ${policy}
    endpoints: [${list.map((e) => `"${e}"`).join(', ')}]
`,
    'mesh.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

/** One second of traffic: every endpoint 50 requests at its latency. */
function second(job: PolicyJob, startMs: number, latencyMs: (endpoint: string) => number) {
  for (const endpoint of endpoints) {
    const sketch = newSketch();
    for (let i = 0; i < 50; i++) sketch.accept(latencyMs(endpoint) * 1000);
    job.observe(
      EdgeStats.fromPartial({
        sourceService: 'web',
        destinationCluster: 'c',
        upstreamEndpoint: endpoint,
        windowStartMs: startMs,
        windowSeconds: 1,
        requests: 50,
        status2xx: 50,
        durationSumUs: 50 * latencyMs(endpoint) * 1000,
        latencySketch: sketchToBytes(sketch),
      }),
    );
  }
}

/**
 * One second of the calls c's endpoints make to cluster d: 50 each at 10 ms, the share
 * `errorRate(endpoint)` failing (instance windows, as the rollup emits them).
 */
function callsSecond(job: PolicyJob, startMs: number, errorRate: (endpoint: string) => number) {
  for (const endpoint of endpoints) {
    const errors = Math.round(50 * errorRate(endpoint));
    job.observe(
      EdgeStats.fromPartial({
        sourceService: 'c',
        sourceInstance: endpoint,
        destinationCluster: 'd',
        windowStartMs: startMs,
        windowSeconds: 1,
        requests: 50,
        status2xx: 50 - errors,
        status5xx: errors,
        durationSumUs: 50 * 10_000,
      }),
    );
  }
}

describe('PolicyJob', () => {
  it('prefers the endpoints whose dependencies are healthy, and recovers with them', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    const behindBad = new Set(endpoints.slice(0, 2));
    const weights = () => job.current()[0]?.endpoints.map((e) => e.weight);
    let t = 0;
    // Own statistics identical throughout; e1 and e2's calls to d fail half the time.
    for (; t < 20; t++) {
      second(job, t * 1000, () => 10);
      callsSecond(job, t * 1000, (e) => (behindBad.has(e) ? 0.5 : 0));
      job.tick(t * 1000 + 2_500);
    }
    const [decision] = job.current();
    expect(decision?.endpoints.map((e) => e.inputs.dependencyHealth)).toEqual([
      expect.closeTo(0.5, 3),
      expect.closeTo(0.5, 3),
      1,
      1,
    ]);
    const [w1, w2, w3, w4] = weights() ?? [];
    expect(w3).toBe(128);
    expect(w4).toBe(128);
    // health 0.5 costs 1 + 3 × 0.5 = 2.5× the best: about five levels down (weight 23)
    expect(w1).toBeLessThanOrEqual(32);
    expect(w1).toBeGreaterThan(defaultPolicyOptions.minWeight);
    expect(w2).toBe(w1);
    expect(decision?.endpoints[0]?.reason).toBe('adaptive');
    // d heals for everyone: the weights climb back to equal.
    for (; t < 60; t++) {
      second(job, t * 1000, () => 10);
      callsSecond(job, t * 1000, () => 0);
      job.tick(t * 1000 + 2_500);
    }
    expect(weights()).toEqual([128, 128, 128, 128]);
  });

  it('a dependency every endpoint shares cancels out', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    for (let t = 0; t < 20; t++) {
      second(job, t * 1000, () => 10);
      callsSecond(job, t * 1000, () => 0.5);
      job.tick(t * 1000 + 2_500);
    }
    const [decision] = job.current();
    expect(decision?.endpoints.map((e) => e.weight)).toEqual([128, 128, 128, 128]);
    expect(decision?.endpoints[0]?.inputs.dependencyHealth).toBeCloseTo(0.5, 3);
  });

  it('publishes a changed decision and records it; a steady one only every refresh', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions, refreshMs: 10_000 });
    job.setConfig(config('adaptive'));
    let published = 0;
    for (let t = 0; t < 30; t++) {
      second(job, t * 1000, (e) => (e === endpoints[0] ? 200 : 10));
      const result = job.tick(t * 1000 + 2_500);
      expect(result.record).toEqual(result.publish);
      published += result.publish.length;
    }
    const [decision] = job.current();
    expect(decision?.endpoints[0]?.weight).toBeLessThan(decision?.endpoints[1]?.weight ?? 0);
    // Moves while converging, then at most one refresh per 10 s: far fewer than 30.
    expect(published).toBeGreaterThan(1);
    expect(published).toBeLessThan(20);
  });

  it('dry-run records decisions, publishes none, and clears what it published before', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    second(job, 0, () => 10);
    expect(job.tick(2_500).publish).toHaveLength(1);
    expect(job.setOverride('c', { mode: 'dry-run', pins: new Map() }).ok).toBe(true);
    second(job, 1_000, (e) => (e === endpoints[0] ? 200 : 10));
    const result = job.tick(3_500);
    expect(result.clear).toEqual(['c']);
    expect(result.publish).toEqual([]);
    expect(result.record.every((d) => d.dryRun)).toBe(true);
    expect(job.tick(4_500 + 10_000).clear).toEqual([]);
  });

  it('off: no decisions, one tombstone', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    job.tick(1_000);
    job.setOverride('c', { mode: 'off', pins: new Map() });
    expect(job.tick(2_000)).toEqual({ publish: [], record: [], clear: ['c'] });
    expect(job.tick(3_000)).toEqual({ publish: [], record: [], clear: [] });
    expect(job.current()).toEqual([]);
  });

  it('a cluster turned static is cleared once and no longer managed', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    job.tick(1_000);
    job.setConfig(config('static'));
    expect(job.tick(2_000).clear).toEqual(['c']);
    expect(job.clusters()).toEqual([]);
    expect(job.setOverride('c', { mode: 'off', pins: new Map() })).toEqual({
      ok: false,
      code: 'not-adaptive',
      message: "cluster 'c' has policy static: the policy leaves it alone",
    });
  });

  it('does not publish a first decision resting on no data (a restart keeps the last one)', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    const first = job.tick(10_000);
    expect(first.record.map((d) => d.reason)).toEqual(['stale']);
    expect(first.publish).toEqual([]);
  });

  it('a mode switch is published at the next interval, not at the next refresh', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions, refreshMs: 60_000 });
    job.setConfig(config('adaptive'));
    second(job, 0, () => 10);
    expect(job.tick(2_500).publish).toHaveLength(1);
    job.setOverride('c', { mode: 'dry-run', pins: new Map() });
    second(job, 1_000, () => 10);
    expect(job.tick(3_500)).toMatchObject({ clear: ['c'], publish: [] });
    job.clearOverride('c');
    second(job, 2_000, () => 10);
    expect(job.tick(4_500).publish).toHaveLength(1);
  });

  it('keeps an ejected endpoint ejected when another endpoint is added', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    for (let t = 0; t < 20; t++) {
      second(job, t * 1000, (e) => (e === endpoints[0] ? 2_000 : 10));
      job.tick(t * 1000 + 2_500);
    }
    const before = job.current()[0]?.endpoints.find((e) => e.endpoint === endpoints[0]);
    expect(before?.weight).toBeLessThanOrEqual(defaultPolicyOptions.minWeight);
    job.setConfig(config('adaptive', [...endpoints, '127.0.0.1:9005']));
    second(job, 20_000, (e) => (e === endpoints[0] ? 2_000 : 10));
    job.tick(22_500);
    const after = job.current()[0]?.endpoints.find((e) => e.endpoint === endpoints[0]);
    expect(after?.weight).toBeLessThanOrEqual(defaultPolicyOptions.minWeight);
  });

  it('pins win, and a pin of an endpoint the cluster lost is dropped with it', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    const pins = new Map([[endpoints[3] as string, 5]]);
    expect(job.setOverride('c', { mode: 'active', pins }).ok).toBe(true);
    const [decision] = job.tick(1_000).publish;
    expect(decision?.endpoints.find((e) => e.endpoint === endpoints[3])).toMatchObject({
      weight: 5,
      reason: 'pinned',
    });
    job.setConfig(config('adaptive', endpoints.slice(0, 3)));
    expect(job.clusters()[0]?.pins.size).toBe(0);
  });

  it('refuses overrides naming what does not exist, quoting it', () => {
    const job = new PolicyJob({ policy: defaultPolicyOptions });
    job.setConfig(config('adaptive'));
    const active = (pins: [string, number][]) => ({ mode: 'active' as const, pins: new Map(pins) });
    expect(job.setOverride('x', active([]))).toEqual({
      ok: false,
      code: 'unknown-cluster',
      message: "cluster 'x' is not in the mesh config",
    });
    expect(job.setOverride('c', active([['10.0.0.1:1', 1]]))).toEqual({
      ok: false,
      code: 'unknown-endpoint',
      message: "cluster 'c' has no endpoint '10.0.0.1:1'",
    });
    expect(job.setOverride('c', active([[endpoints[0] as string, 129]]))).toMatchObject({
      ok: false,
      code: 'bad-weight',
    });
    expect(job.setOverride('c', active(endpoints.map((e) => [e, 0])))).toEqual({
      ok: false,
      code: 'bad-weight',
      message: "pins would eject every endpoint of cluster 'c'",
    });
  });
});
