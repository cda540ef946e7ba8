import { describe, expect, it } from 'vitest';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import {
  mergeSketches,
  newSketch,
  quantiles,
  sketchFromBytes,
  sketchToBytes,
} from '../../stream-jobs/rollup/sketch.ts';
import {
  PartitionWindows,
  splitFlags,
  toEdgeStats,
  type WindowStats,
} from '../../stream-jobs/rollup/windows.ts';

/** A small seeded PRNG (mulberry32), so a failing property names a reproducible seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

const base = Date.UTC(2026, 0, 1); // a whole multiple of 10 s
const edges = [
  ['web', 'api'],
  ['api', 'db'],
  ['api', 'llm'],
] as const;
const statuses = [0, 101, 200, 201, 204, 302, 404, 429, 500, 503];
const flagSets = ['', '-', 'UF', 'UF,URX', 'UH', 'RL,UF'];

function randomRecord(r: ReturnType<typeof rng>, eventMs: number): AccessLogRecord {
  const [source, destination] = edges[r.int(0, edges.length - 1)] ?? edges[0];
  return AccessLogRecord.fromPartial({
    startTimeUs: eventMs * 1000 + r.int(0, 999),
    sourceService: source,
    destinationCluster: destination,
    upstreamEndpoint: r.next() < 0.1 ? '' : `10.0.0.${r.int(1, 3)}:80`,
    status: statuses[r.int(0, statuses.length - 1)] ?? 200,
    responseFlags: flagSets[r.int(0, flagSets.length - 1)] ?? '',
    // Log-uniform 1 µs … 10 s: the sketch must keep 1% over seven decades.
    durationUs: Math.round(10 ** (r.next() * 7)),
    requestBytes: r.int(0, 5000),
    responseBytes: r.int(0, 50_000),
    promptTokens: r.int(0, 300),
    completionTokens: r.int(0, 900),
  });
}

type Totals = Record<string, number>;
function exactTotals(records: AccessLogRecord[]): Totals {
  const t: Totals = { requests: records.length };
  const add = (k: string, v: number) => {
    t[k] = (t[k] ?? 0) + v;
  };
  for (const r of records) {
    const s = r.status;
    add(s === 0 ? 'noResponse' : `status${Math.floor(s / 100)}xx`, 1);
    for (const f of splitFlags(r.responseFlags)) add(`flag:${f}`, 1);
    add('requestBytes', r.requestBytes);
    add('responseBytes', r.responseBytes);
    add('promptTokens', r.promptTokens);
    add('completionTokens', r.completionTokens);
    add('durationSumUs', r.durationUs);
  }
  return t;
}
function windowTotals(windows: WindowStats[]): Totals {
  const t: Totals = {};
  const add = (k: string, v: number) => {
    if (v !== 0) t[k] = (t[k] ?? 0) + v;
  };
  for (const w of windows) {
    for (const k of [
      'requests',
      'status1xx',
      'status2xx',
      'status3xx',
      'status4xx',
      'status5xx',
      'noResponse',
      'requestBytes',
      'responseBytes',
      'promptTokens',
      'completionTokens',
      'durationSumUs',
    ] as const)
      add(k, w[k]);
    for (const [f, n] of w.responseFlags) add(`flag:${f}`, n);
  }
  return t;
}
const nonZero = (t: Totals) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== 0));

/** Exact value at rank floor(q·(n−1)), the rank rule DDSketch (and the store's docs) promise. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
}

describe('rollup windows: what a window adds up', () => {
  it('sums requests, status classes, flags, bytes, tokens and durations exactly (random streams)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const windows = new PartitionWindows({ allowedLatenessMs: 2000 });
      const records: AccessLogRecord[] = [];
      for (let i = 0; i < 400; i++) {
        const record = randomRecord(r, base + i * r.int(0, 120));
        records.push(record);
        windows.add(record, i, 0);
      }
      windows.advanceIdle(Number.MAX_SAFE_INTEGER, true);
      const closed = windows.closeReady();
      expect(windows.openCount).toBe(0);
      for (const seconds of [1, 10]) {
        const edgeWindows = closed.filter((w) => w.windowSeconds === seconds);
        const wholeEdge = edgeWindows.filter((w) => w.upstreamEndpoint === '');
        expect(nonZero(windowTotals(wholeEdge)), `seed ${seed}, ${seconds}s`).toEqual(
          nonZero(exactTotals(records)),
        );
        // Per-endpoint windows hold exactly the records some endpoint served.
        const perEndpoint = edgeWindows.filter((w) => w.upstreamEndpoint !== '');
        expect(nonZero(windowTotals(perEndpoint))).toEqual(
          nonZero(exactTotals(records.filter((x) => x.upstreamEndpoint !== ''))),
        );
        for (const w of wholeEdge) {
          expect(w.windowStartMs % (seconds * 1000)).toBe(0);
          const inside = records.filter(
            (x) =>
              `${x.sourceService}→${x.destinationCluster}` ===
                `${w.sourceService}→${w.destinationCluster}` &&
              Math.floor(x.startTimeUs / 1000) >= w.windowStartMs &&
              Math.floor(x.startTimeUs / 1000) < w.windowStartMs + seconds * 1000,
          );
          expect(w.requests).toBe(inside.length);
        }
      }
    }
  });

  it('splits Envoy flag lists the way migration 0002 does', () => {
    expect(splitFlags('UF,URX')).toEqual(['UF', 'URX']);
    expect(splitFlags('-')).toEqual([]);
    expect(splitFlags('')).toEqual([]);
    expect(splitFlags(' UH , ,DC')).toEqual(['UH', 'DC']);
  });

  it('turns a window into an EdgeStats value that survives protobuf', () => {
    const windows = new PartitionWindows();
    const record = randomRecord(rng(7), base);
    windows.add(record, 41, 0);
    windows.advanceIdle(Number.MAX_SAFE_INTEGER, true);
    const edge = windows
      .closeReady()
      .find((w) => w.upstreamEndpoint === '' && w.windowSeconds === 10);
    if (!edge) throw new Error('no 10 s edge window');
    const decoded = EdgeStats.decode(EdgeStats.encode(toEdgeStats(edge)).finish());
    expect(decoded).toMatchObject({
      sourceService: record.sourceService,
      windowStartMs: base,
      windowSeconds: 10,
      requests: 1,
    });
    expect(sketchFromBytes(decoded.latencySketch).count).toBe(1);
  });
});

describe('rollup windows: latency sketch', () => {
  it('p50/p90/p99/p999 within 1% of the exact value at rank floor(q·(n−1)), merged or not', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const r = rng(seed);
      const n = r.int(1, 5000);
      const values = Array.from({ length: n }, () => Math.round(10 ** (r.next() * 7)) + 1);
      // Split over random windows, encoded and merged back: what an edge-stats.v1 reader does.
      const parts: Uint8Array[] = [];
      let part = newSketch();
      for (const v of values) {
        part.accept(v);
        if (r.next() < 0.01) {
          parts.push(sketchToBytes(part));
          part = newSketch();
        }
      }
      parts.push(sketchToBytes(part));
      for (const [q, estimate] of quantiles(mergeSketches(parts))) {
        const exact = exactQuantile(values, q);
        expect(
          Math.abs(estimate - exact) / exact,
          `seed ${seed} n ${n} q ${q}`,
        ).toBeLessThanOrEqual(0.01 + 1e-9);
      }
    }
  });
});

describe('rollup windows: watermark, lateness, idleness', () => {
  const at = (ms: number, endpoint = '') =>
    AccessLogRecord.fromPartial({
      startTimeUs: ms * 1000,
      sourceService: 'a',
      destinationCluster: 'b',
      upstreamEndpoint: endpoint,
      status: 200,
      durationUs: 10,
    });

  it('closes a window only once max event time − allowed lateness reaches its end', () => {
    const windows = new PartitionWindows({ allowedLatenessMs: 2000 });
    windows.add(at(base + 500), 0, 0);
    windows.add(at(base + 2900), 1, 0);
    expect(windows.closeReady()).toEqual([]); // watermark base+900: the 1 s window ends at base+1000
    windows.add(at(base + 3000), 2, 0);
    const closed = windows.closeReady();
    expect(closed.map((w) => [w.windowSeconds, w.windowStartMs, w.requests])).toEqual([
      [1, base, 1],
    ]);
    expect(windows.emittedUpToMs).toBe(base + 1000);
    // The 10 s window still holds offset 0: the commit point must stay there.
    expect(windows.minOpenOffset()).toBe(0);
  });

  it('takes a record within the allowed lateness, and counts one after its window was emitted', () => {
    const windows = new PartitionWindows({ allowedLatenessMs: 2000 });
    windows.add(at(base + 5000), 0, 0);
    expect(windows.add(at(base + 3500), 1, 0)).toEqual([]); // 1.5 s behind: still in time
    windows.closeReady(); // watermark base+3000: emits [base+2000, +1 s)… none exist; no record there
    windows.add(at(base + 7000), 2, 0);
    expect(windows.closeReady().map((w) => w.windowStartMs)).toEqual([base + 3000]);
    // base+3500 again: its 1 s window went out, its 10 s window is still open.
    expect(windows.add(at(base + 3600), 3, 0)).toEqual([1]);
    windows.advanceIdle(Number.MAX_SAFE_INTEGER, true);
    const ten = windows.closeReady().filter((w) => w.windowSeconds === 10);
    expect(ten.map((w) => w.requests)).toEqual([4]);
  });

  it('follows the wall clock only when caught up and idle for idleMs', () => {
    const windows = new PartitionWindows({ allowedLatenessMs: 2000, idleMs: 1000 });
    const wall = base + 60_000;
    windows.add(at(base + 100), 0, wall);
    windows.advanceIdle(wall + 5000, false); // behind the partition's end: data time rules
    expect(windows.closeReady()).toEqual([]);
    windows.advanceIdle(wall + 999, true); // not idle long enough
    expect(windows.closeReady()).toEqual([]);
    windows.advanceIdle(wall + 1000, true);
    expect(windows.watermarkMs).toBe(wall - 1000);
    expect(windows.closeReady()).toHaveLength(2);
    expect(windows.minOpenOffset()).toBeUndefined();
  });

  it('starts closed up to the emitted-up-to time it is given (a restart)', () => {
    const windows = new PartitionWindows({}, base + 10_000);
    expect(windows.add(at(base + 9_999), 0, 0)).toEqual([1, 10]);
    expect(windows.add(at(base + 10_000), 1, 0)).toEqual([]);
    expect(windows.openCount).toBe(2);
  });

  it('property: every record is in exactly one emitted window per length, or counted late', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const windows = new PartitionWindows({
        allowedLatenessMs: r.int(0, 3000),
        idleMs: r.int(1, 2000),
      });
      const late = { 1: 0, 10: 0 } as Record<number, number>;
      const emitted: WindowStats[] = [];
      let event = base;
      let wall = base;
      const n = r.int(50, 600);
      for (let i = 0; i < n; i++) {
        event += r.int(0, 400);
        wall += r.int(0, 1500);
        // Mostly in order, some records far behind.
        const eventMs = r.next() < 0.1 ? event - r.int(0, 15_000) : event;
        for (const s of windows.add(at(eventMs, `e${r.int(1, 2)}`), i, wall))
          late[s] = (late[s] ?? 0) + 1;
        if (r.next() < 0.3) windows.advanceIdle(wall + r.int(0, 3000), r.next() < 0.5);
        if (r.next() < 0.5) {
          const open = windows.minOpenOffset();
          const closed = windows.closeReady();
          emitted.push(...closed);
          const still = windows.minOpenOffset();
          if (open !== undefined && still !== undefined) expect(still).toBeGreaterThanOrEqual(open);
        }
      }
      windows.advanceIdle(Number.MAX_SAFE_INTEGER, true);
      emitted.push(...windows.closeReady());
      const ids = emitted.map((w) => `${w.windowSeconds}|${w.windowStartMs}|${w.upstreamEndpoint}`);
      expect(new Set(ids).size, `seed ${seed}: a window emitted twice`).toBe(ids.length);
      for (const s of [1, 10]) {
        const sum = emitted
          .filter((w) => w.windowSeconds === s && w.upstreamEndpoint === '')
          .reduce((acc, w) => acc + w.requests, 0);
        expect(sum + (late[s] ?? 0), `seed ${seed}, ${s}s`).toBe(n);
      }
    }
  });
});

describe('rollup windows: calling instances', () => {
  it('keeps 1 s windows per calling instance beside the edge and endpoint windows', () => {
    const windows = new PartitionWindows({ allowedLatenessMs: 0 });
    const call = (instance: string, endpoint: string, status: number, ms: number) =>
      AccessLogRecord.fromPartial({
        startTimeUs: (base + ms) * 1000,
        sourceService: 'api',
        destinationCluster: 'db',
        upstreamEndpoint: endpoint,
        sourceInstance: instance,
        status,
        durationUs: 1000,
      });
    let offset = 0;
    for (const record of [
      call('10.0.0.1:80', 'db-1:5432', 200, 100),
      call('10.0.0.1:80', 'db-2:5432', 503, 200),
      call('10.0.0.2:80', 'db-1:5432', 200, 300),
      call('', 'db-1:5432', 200, 400),
    ])
      windows.add(record, offset++, 0);
    windows.advanceIdle(base + 20_000, true);
    const closed = windows.closeReady().map(toEdgeStats);
    const of = (seconds: number, pick: (w: EdgeStats) => boolean) =>
      closed
        .filter((w) => w.windowSeconds === seconds && pick(w))
        .map((w) => [w.sourceInstance || w.upstreamEndpoint || 'edge', w.requests, w.status5xx])
        .sort();
    expect(of(1, (w) => w.sourceInstance !== '')).toEqual([
      ['10.0.0.1:80', 2, 1],
      ['10.0.0.2:80', 1, 0],
    ]);
    expect(of(10, (w) => w.sourceInstance !== '')).toEqual([]); // 1 s only
    for (const seconds of [1, 10])
      expect(of(seconds, (w) => w.sourceInstance === '')).toEqual([
        ['db-1:5432', 3, 0],
        ['db-2:5432', 1, 1],
        ['edge', 4, 1],
      ]);
    expect(
      closed.filter((w) => w.sourceInstance !== '').every((w) => w.upstreamEndpoint === ''),
    ).toBe(true);
  });
});
