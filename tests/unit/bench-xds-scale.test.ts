/**
 * The pure parts of bench/xds-scale (the benchmark itself runs only on demand): statistics,
 * options, the workload against the real mesh-config parser and snapshot builder (so the
 * simulated Envoy decodes exactly what Envoy would get), and the report's rendering.
 */

import { describe, expect, it } from 'vitest';
import { routeNamesOf, weightOf } from '../../bench/xds-scale/envoy-stream.ts';
import { parseOptions } from '../../bench/xds-scale/options.ts';
import {
  markdown,
  perStreamKiB,
  type Report,
  ratiosTable,
  resultsTable,
  type ScaleResult,
} from '../../bench/xds-scale/report.ts';
import { elapsedMs, percentile, summarize } from '../../bench/xds-scale/stats.ts';
import { changedCluster, meshYaml, weightsFor } from '../../bench/xds-scale/workload.ts';
import { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { Listener } from '../../schemas/gen/envoy/envoy/config/listener/v3/listener.ts';
import { parseMeshConfig } from '../../xds-server/mesh-config/parse.ts';
import { emptyRouting } from '../../xds-server/routing/types.ts';
import { buildSnapshot } from '../../xds-server/snapshot/build.ts';
import { TypeUrl } from '../../xds-server/snapshot/types.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted

  it('returns a value from the data: p50 of 1..100 is 50, p99 is 99, p100 the max', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is NaN for no data and refuses p outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes without mutating its input', () => {
    const values = [4, 1, 3, 2];
    expect(summarize(values)).toEqual({ count: 4, min: 1, p50: 2, p99: 4, max: 4, mean: 2.5 });
    expect(values).toEqual([4, 1, 3, 2]);
    expect(elapsedMs(1_000_000n, 3_500_000n)).toBe(2.5);
  });
});

describe('options', () => {
  it('defaults to 100 and 1000 streams, 20 changes, 100 streams per channel', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({ streams: [100, 1000], changes: 20, warmup: 2, perChannel: 100 });
  });

  it('names the option in errors', () => {
    expect(() => parseOptions(['--streams', '10,x'])).toThrow(/--streams/);
    expect(() => parseOptions(['--changes', '200'])).toThrow(/at most 127/);
    expect(() => parseOptions(['--nope'])).toThrow();
  });
});

describe('workload', () => {
  const parsed = parseMeshConfig(meshYaml(3, 2), 'bench.yaml');

  it('is a valid mesh config whose snapshot the simulated Envoy decodes', () => {
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.config.clusters.every((c) => c.policy === 'adaptive')).toBe(true);
    const weights = new Map(weightsFor(5, 2));
    const routing = { ...emptyRouting, endpointWeights: new Map([[changedCluster, weights]]) };
    const snapshot = buildSnapshot(parsed.config, routing, 'envoy');
    const listeners = [...snapshot.sets[TypeUrl.listener].resources.values()];
    expect(listeners.flatMap((r) => routeNamesOf(Listener.decode(r.bytes)))).toEqual(['ingress']);
    const cla = snapshot.sets[TypeUrl.endpoint].resources.get(changedCluster);
    const decoded = ClusterLoadAssignment.decode(cla?.bytes ?? new Uint8Array());
    expect(weightOf(decoded, '10.0.0.1:8080')).toBe(6);
    expect(weightOf(decoded, '10.0.0.2:8080')).toBe(7);
    expect(weightOf(decoded, '10.9.9.9:8080')).toBeUndefined();
  });

  it('moves the first endpoint to a new weight on every change, never the static 1', () => {
    const first = Array.from({ length: 127 }, (_, k) => weightsFor(k + 1, 1)[0]?.[1]);
    expect(first.every((w, i) => w !== 1 && w !== first[i - 1])).toBe(true);
  });
});

describe('report', () => {
  const mib = 2 ** 20;
  const summary = (p50: number) => ({
    count: 1,
    min: p50,
    p50,
    p99: 2 * p50,
    max: 3 * p50,
    mean: p50,
  });
  const memory = (mb: number) => ({ rss: mb * mib, heapUsed: mb * mib, heapTotal: 0, external: 0 });
  const result = (streams: number, p50: number, perStreamMiB: number): ScaleResult => ({
    streams,
    channels: streams / 100,
    connections: streams / 100,
    syncMs: 100,
    latencyMs: summary(p50),
    lastStreamMs: summary(p50),
    applyMs: summary(p50 / 2),
    clientBusyMs: summary(p50 / 2),
    server: {
      idle: memory(100),
      connected: memory(100 + streams * perStreamMiB),
      afterChanges: memory(0),
    },
    clients: memory(50),
    perChange: [],
  });
  const results = [result(1000, 40, 1 / 64), result(100, 8, 1 / 32)];

  it('renders one row per stream count and ratios against the smallest', () => {
    expect(perStreamKiB(results[1] as ScaleResult, 'rss')).toBe(32);
    const rows = resultsTable(results).split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(/^\| 1000 \| 10 \/ 10 \| 100\.0 \| 40\.0 \| 80\.0 \| 120\.0 \|/);
    expect(rows[2]).toContain('| 100.0 → 115.6 |');
    const ratios = ratiosTable(results).split('\n');
    expect(ratios[0]).toContain('vs 100 streams');
    expect(ratios[2]).toBe(
      '| 1000 streams | ×10.00 | ×5.00 | ×5.00 | ×5.00 | ×5.00 | ×5.00 | ×0.50 | ×0.50 |',
    );
    expect(ratiosTable([results[0] as ScaleResult])).toBe('');
  });

  it('prints the machine, command and date with the tables', () => {
    const report: Report = {
      benchmark: 'xds-scale',
      date: '2025-01-01T00:00:00.000Z',
      command: 'npx tsx bench/xds-scale/run.ts',
      machine: { cpu: 'CPU X', cores: 2, memoryGiB: 24, node: 'v20.0.0', os: 'linux' },
      options: { clusters: 10, endpoints: 4, changes: 20, warmup: 2, perChannel: 100 },
      results,
    };
    const text = markdown(report);
    expect(text).toContain('CPU X, 2 cores, 24 GiB, Node v20.0.0, linux');
    expect(text).toContain('`npx tsx bench/xds-scale/run.ts`');
    expect(text).toContain('2025-01-01T00:00:00.000Z');
    expect(text).toContain('| 1000 streams |');
  });
});
