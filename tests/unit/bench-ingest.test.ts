/**
 * The pure parts of bench/ingest (the benchmark itself runs only on demand): the lag histogram
 * and its percentiles, rate/CPU arithmetic, options, the synthetic workload's encoding and the
 * report's rendering.
 */

import { describe, expect, it } from 'vitest';
import { cpuPercent, LagHistogram, perSecond, ratio } from '../../bench/ingest/histogram.ts';
import { parseOptions } from '../../bench/ingest/options.ts';
import {
  markdown,
  meetsTarget,
  type RateResult,
  type Report,
  ratiosTable,
} from '../../bench/ingest/report.ts';
import { entriesMessage } from '../../bench/ingest/workload.ts';
import { StreamAccessLogsMessage } from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';

describe('LagHistogram (nearest rank, 1 ms buckets)', () => {
  it('p50 of 1..100 ms is 50, p99 is 99, p100 the max; fractions round up', () => {
    const h = new LagHistogram();
    for (let ms = 100; ms >= 1; ms--) h.add(ms - 0.5);
    expect([h.percentile(50), h.percentile(99), h.percentile(100)]).toEqual([50, 99, 100]);
    expect(h.summary()).toMatchObject({ count: 100, p50: 50, p99: 99, max: 100, mean: 50.5 });
  });

  it('weights, negatives as 0, overflow in the last bucket, empty is NaN, bad p throws', () => {
    const h = new LagHistogram(1000);
    h.add(-3, 98);
    h.add(5000, 2);
    expect([h.percentile(98), h.percentile(99)]).toEqual([0, 1000]);
    expect(h.summary().max).toBe(5000);
    expect(new LagHistogram().summary().p99).toBeNaN();
    expect(() => h.percentile(0)).toThrow(RangeError);
    expect(() => h.percentile(101)).toThrow(RangeError);
  });

  it('survives IPC as pairs and merges', () => {
    const a = new LagHistogram();
    a.add(10, 3);
    a.add(20);
    const b = LagHistogram.fromPairs(a.toPairs());
    expect(b.toPairs()).toEqual([
      [10, 3],
      [20, 1],
    ]);
    b.merge(a);
    expect(b.summary()).toMatchObject({ count: 8, p50: 10, max: 20 });
    expect(() => b.merge(new LagHistogram(5))).toThrow();
  });
});

describe('rates', () => {
  it('per second, CPU percent of one core, ratios without division by zero', () => {
    expect(perSecond(50_000, 2000)).toBe(25_000);
    expect(perSecond(1, 0)).toBeNaN();
    expect(cpuPercent(1500, 1000)).toBe(150);
    expect(ratio(4, 2)).toBe(2);
    expect(ratio(4, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });
});

describe('options', () => {
  it('defaults and overrides; refuses bad values', () => {
    expect(parseOptions([])).toMatchObject({
      rates: [25_000, 50_000, 100_000],
      warmupS: 5,
      durationS: 20,
      streams: 4,
      batch: 100,
    });
    expect(parseOptions(['--rates', '1000, 2000', '--json', 'x.json'])).toMatchObject({
      rates: [1000, 2000],
      json: 'x.json',
    });
    expect(() => parseOptions(['--rates', '10,x'])).toThrow(/--rates/);
    expect(() => parseOptions(['--duration', '0'])).toThrow(/--duration/);
    expect(() => parseOptions(['--nope'])).toThrow();
  });
});

describe('workload', () => {
  it('stamps each record with its scheduled send time, t0 + i / rate', () => {
    const t0 = 1_700_000_000_000;
    const decoded = StreamAccessLogsMessage.decode(entriesMessage(1000, 3, t0, 1000));
    const entries = decoded.httpLogs?.logEntry ?? [];
    expect(entries).toHaveLength(3);
    const ms = entries.map((e) => {
      const t = e.commonProperties?.startTime;
      return (t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
    });
    expect(ms).toEqual([t0 + 1000, t0 + 1001, t0 + 1002]);
    expect(new Set(entries.map((e) => e.request?.requestId)).size).toBe(3);
  });
});

const result = (offered: number, insertedPerS: number, p99: number): RateResult => ({
  offered,
  producedPerS: insertedPerS,
  insertedPerS,
  lagMs: { count: 10, p50: p99 / 2, p99, max: p99, mean: p99 / 2 },
  lagMissing: 0,
  cpuPct: { client: 10, collector: 40, kafka: 20, rollup: 60, driver: 1, machine: 90 },
  rssMiB: {
    collector: { end: 100, max: 120 },
    rollup: { end: 400, max: 500 },
    kafka: { end: 600, max: 600 },
  },
  client: { lateMaxMs: 5, busy: 0.1, pendingMaxBytes: 0, messages: 100 },
  rollup: { rowsPerInsert: 1000, insertMs: 20 },
  total: { sent: offered * 25, inserted: offered * 25, drainMs: 1000 },
  insertedPerSecond: [offered],
  loadAverageBefore: 1,
});

describe('report', () => {
  it('target: ≥ 98% of the offered rate inserted and p99 under 2 s', () => {
    expect(meetsTarget(result(50_000, 49_500, 1900))).toBe(true);
    expect(meetsTarget(result(50_000, 40_000, 900))).toBe(false);
    expect(meetsTarget(result(50_000, 50_000, 2000))).toBe(false);
  });

  it('ratios against the first rate, and a Markdown page naming machine and command', () => {
    const results = [result(25_000, 25_000, 1000), result(50_000, 40_000, 4000)];
    expect(ratiosTable(results)).toContain('| 50,000 / 25,000 | 1.60 | 0.80 | 4.00 |');
    const report: Report = {
      benchmark: 'ingest',
      date: '2026-01-01T00:00:00.000Z',
      command: 'npx tsx bench/ingest/run.ts',
      machine: { cpu: 'CPU', cores: 2, memoryGiB: 24, node: 'v20', os: 'linux' },
      options: {
        rates: [25_000, 50_000],
        warmupS: 5,
        durationS: 20,
        streams: 4,
        batch: 100,
        drainS: 30,
      },
      results,
    };
    const text = markdown(report);
    expect(text).toContain('CPU, 2 cores, 24 GiB');
    expect(text).toContain('`npx tsx bench/ingest/run.ts`');
    expect(text).toContain('25,000/s met; 50,000/s not met');
  });
});
