import { describe, expect, it } from 'vitest';
import type { AnalysesResult } from '../../bench/graph/analyses-bench.ts';
import { comparisonRows, comparisonTable, ratio } from '../../bench/graph/compare.ts';
import type { FoldResult } from '../../bench/graph/fold-bench.ts';
import { foldSummary } from '../../bench/graph/fold-report.ts';
import type { NetworkxResult } from '../../bench/graph/networkx.ts';
import { parseOptions } from '../../bench/graph/options.ts';
import { markdown, type Report } from '../../bench/graph/report.ts';
import { generateTopology, type TopologyOptions } from '../../bench/graph/topology.ts';
import { startMs, WindowSource } from '../../bench/graph/windows.ts';
import { summarize } from '../../bench/xds-scale/stats.ts';

const small: TopologyOptions = {
  services: 200,
  edges: 1500,
  tiers: 5,
  endpointsPerService: 2,
  seed: 7,
};

describe('bench/graph topology', () => {
  const t = generateTopology(small);

  it('has the stated size: services, call edges (the ingress’s included), endpoints', () => {
    expect(t.services).toHaveLength(200);
    expect(new Set(t.services).size).toBe(200);
    expect(t.calls).toHaveLength(1500);
    expect(t.endpoints).toHaveLength(400);
    expect(t.calls.filter((c) => c.source === 'ingress')).toHaveLength(40); // tier 1: 200 / 5
  });

  it('is a simple directed graph whose last tier only calls back', () => {
    const keys = t.calls.map((c) => `${c.source}→${c.target}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(t.calls.every((c) => c.source !== c.target && c.rate > 0)).toBe(true);
    const lastTier = new Set(t.services.slice(160));
    const backs = t.calls.filter((c) => lastTier.has(c.source));
    expect(backs.every((c) => keys.includes(`${c.target}→${c.source}`))).toBe(true);
    expect(backs.length).toBeLessThan(t.calls.length * 0.01); // 0.2% call back
    expect(t.incident).toBe('svc-080'); // the middle tier's hub
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateTopology(small)).toEqual(t);
    expect(generateTopology({ ...small, seed: 8 }).calls).not.toEqual(t.calls);
  });

  it('refuses sizes it cannot build', () => {
    expect(() => generateTopology({ ...small, tiers: 1 })).toThrow(/--tiers/);
    expect(() => generateTopology({ ...small, edges: 20_000 })).toThrow(/over half/);
  });

  it('makes one window per call edge and endpoint per interval, the incident failing late', () => {
    const source = new WindowSource(t, 2, 7);
    const [first, second] = [source.interval(0), source.interval(1)];
    expect(first).toHaveLength(source.perInterval);
    expect(source.perInterval).toBe(1900);
    expect(first.every((w) => w.windowStartMs === startMs && w.windowSeconds === 10)).toBe(true);
    expect(second.every((w) => w.windowStartMs === startMs + 10_000)).toBe(true);
    const incidentErrors = (ws: typeof first) =>
      ws
        .filter((w) => w.destinationCluster === t.incident && w.upstreamEndpoint === '')
        .every((w) => w.status5xx / w.requests > 0.2);
    expect(incidentErrors(first)).toBe(false);
    expect(incidentErrors(second)).toBe(true);
    expect(first.every((w) => w.latencySketch.length > 0 && w.requests >= 1)).toBe(true);
  });
});

describe('bench/graph options', () => {
  it('has the issue’s defaults and refuses bad values', () => {
    const o = parseOptions([]);
    expect([o.services, o.edges, o.targets, o.k]).toEqual([10_000, 100_000, 200, 256]);
    expect(o.python).toBe('.cache/graph-ref-venv/bin/python');
    expect(parseOptions(['--no-networkx']).python).toBeUndefined();
    expect(() => parseOptions(['--repeats', '0'])).toThrow(/--repeats/);
    expect(() => parseOptions(['--nope'])).toThrow();
  });
});

const memory = (heapMiB: number, typedMiB = 0) => ({
  heapUsed: heapMiB * 2 ** 20,
  arrayBuffers: typedMiB * 2 ** 20,
  rss: 2 * heapMiB * 2 ** 20,
});
const fold: FoldResult = {
  baseline: memory(10),
  intervals: [
    {
      interval: 0,
      windows: 1000,
      applyMs: 200,
      gcMs: 20,
      cpuMs: 210,
      advanceMs: 5,
      memory: memory(60),
      sketches: 300,
    },
    {
      interval: 1,
      windows: 1000,
      applyMs: 100,
      gcMs: 10,
      cpuMs: 90,
      advanceMs: 5,
      memory: memory(100, 10),
      sketches: 400,
    },
  ],
  nodes: 50,
  edges: 100,
  folded: 2000,
  fullRings: {
    ...{ streams: 10, intervals: 420, edges: 10, nodes: 12, wallMs: 1000 },
    ...{ sketches: 210, windowsRemembered: 3600, before: memory(100, 10), after: memory(108, 12) },
  },
};
const q = (values: number[], sizes: number[]) => ({
  latencyMs: summarize(values),
  samplesMs: values,
  sizes: summarize(sizes),
});
const runs = (name: string, ms: number) => ({
  name,
  call: `${name}()`,
  firstMs: ms * 3,
  runsMs: [ms, ms * 2, ms],
  found: 'x',
});
const analyses: AnalysesResult = {
  blastRadius: { ...q([1, 2, 3], [10, 20, 30]), notConverged: 0 },
  dependencies: q([0.5, 0.5], [5, 6]),
  analyses: [
    'single points of failure',
    'PageRank (weighted)',
    'betweenness (sampled)',
    'communities (Louvain)',
  ].map((name, i) => runs(name, i + 1)),
  fullSet: { firstMs: 30, runsMs: [10, 12, 11], gcMs: [5, 1, 2, 3], cpuMs: [30, 5, 12, 11] },
};
const nx: NetworkxResult = {
  ...{ python: '3.11.7', networkx: '3.6.1', numpy: '2', scipy: '1' },
  graph: { nodes: 50, edges: 90, buildMs: 3 },
  timings: {
    blastRadius: [4, 4, 4],
    dependencies: [1, 1],
    shares: [8, 9],
    spof: [10],
    pagerank: [1],
    betweenness: [30],
    communities: [40],
  },
  checks: {
    blastRadiusMismatches: [],
    dependenciesMismatches: ['svc-1'],
    sharesMaxDiff: 2e-15,
    sharesMismatches: [],
    articulationPoints: [2, true],
    bridges: [3, true],
    pagerankMaxDiff: 1e-12,
    betweennessMaxDiff: 0,
    communities: 4,
    modularity: 0.5,
    tsModularity: 0.49,
  },
  wallMs: 1000,
  cpuMs: 990,
  maxRssBytes: 2 ** 26,
};

describe('bench/graph report', () => {
  it('sums the fold: rate over all intervals, memory retained per edge and per sketch', () => {
    const f = foldSummary(fold);
    expect(f.windowsPerSecond).toBeCloseTo(2000 / 0.3, 6);
    expect(f.usPerWindow).toBeCloseTo(150, 9);
    expect(f.steadyWindowsPerSecond).toBeCloseTo(10_000, 6);
    expect(f.gcShare).toBeCloseTo(0.1, 12);
    expect(f.retainedBytes).toBe(100 * 2 ** 20);
    expect(f.bytesPerEdge).toBe(2 ** 20);
    expect(f.bytesPerSketch).toBe(2 ** 18);
    // Full rings: 10 MiB (8 heap + 2 typed arrays) over the sample's 10 edges, scaled to 100.
    expect(f.fullRingBytesPerEdge).toBe(2 ** 20);
    expect(f.fullRingBytes).toBe(100 * 2 ** 20);
    expect(f.fullRingHeapBytes).toBe(80 * 2 ** 20);
  });

  it('compares with networkx row by row, ratios as networkx / meshgraph', () => {
    expect(ratio(30, 3)).toBe('×10.0');
    expect(ratio(1, 4)).toBe('×0.25');
    expect(ratio(1, 0)).toBe('–');
    const rows = comparisonRows(analyses, nx);
    expect(rows.map((r) => [r.meshgraphMs, r.networkxMs])).toEqual([
      [2, 4],
      [3, 4],
      [1, 8], // shares: the first 2 targets (as many as networkx solved)
      [0.5, 1],
      [0.5, 1],
      [1, 10],
      [2, 1],
      [3, 30],
      [4, 40],
      [6 + 1 + 10, 12 + 2 + 81],
    ]);
    expect(rows[0]?.sameAnswer).toBe('yes: 3/3 same callers and depths');
    expect(rows[2]?.sameAnswer).toBe('max abs diff 2.0e-15');
    expect(rows[3]?.sameAnswer).toMatch(/^NO: 1\/2 differ \(svc-1\)/);
    expect(rows[5]?.sameAnswer).toBe('yes: 2 articulation points, 3 bridges');
  });

  it('renders the machine, the command, the date and every table, with or without networkx', () => {
    const report: Report = {
      benchmark: 'graph',
      date: '2026-01-01T00:00:00.000Z',
      command: 'npx tsx bench/graph/run.ts',
      machine: { cpu: 'CPU', cores: 2, memoryGiB: 4, node: 'v20', os: 'linux' },
      options: { ...parseOptions([]), python: 'py' },
      topology: {
        calls: 90,
        endpoints: 100,
        incident: 'svc-25',
        incidentCaller: 'svc-3',
        generateMs: 1,
      },
      load: { start: [0.5, 0.25, 0.1], end: [1, 1, 1] },
      defaultHeapLimitBytes: 150 * 2 ** 20,
      fold,
      analyses,
      networkx: { available: true, python: 'py', result: nx },
    };
    const md = markdown(report);
    for (const text of [
      '- Machine: CPU, 2 cores, 4 GiB, Node v20, linux; load average (1 / 5 / 15 min) 0.50 / 0.25 / 0.10 at the start, 1.00 / 1.00 / 1.00 at the end',
      '- Command: `npx tsx bench/graph/run.ts`',
      '- Date: 2026-01-01T00:00:00.000Z',
      '**6,667 windows/s** (150.0 µs/window)',
      '| 2 | 1,000 | 100.0 | 100.0 | 10,000 | 10.0 | 0.90 | 5.00 | 100 | 10 | 200 | 400 |',
      '| **full set** | all of the above, back to back | 30.0 | 11.0 | 10.0 | |',
      'GC pauses within a full-set run: median 2.00 ms. CPU / wall per run (as above): 1.00, 0.50, 1.00, 1.00.',
      'after the first interval (which also creates the nodes and edges). GC pauses take 10% of the apply time.',
      'max RSS 64 MiB; CPU / wall 0.99',
      'Once every latency ring is full: **100 MiB** (80 MiB of it heap, under the 150 MiB heap limit',
      'measured on 10 of the 100 edges folded for 70 minutes of event time (21 sketches and 360 remembered windows per edge at the end, 1 s) and scaled to 100 edges',
      '| blast radius with traffic shares, p50 of 2 nodes | + scipy.sparse.linalg.spsolve | 1.00 | 8.00 | ×8.00 | max abs diff 2.0e-15 |',
      '| PageRank (weighted by rate) | pagerank(weight="rate") | 2.00 | 1.00 | ×0.50 |',
    ]) {
      expect(md).toContain(text);
    }
    const without = { available: false as const, python: null, reason: 'skipped (--no-networkx)' };
    expect(comparisonTable(analyses, without)).toBe(
      'networkx: not compared: skipped (--no-networkx)',
    );
    expect(markdown({ ...report, networkx: without })).toContain('not compared: skipped');
  });
});
