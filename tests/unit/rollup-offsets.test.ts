import { describe, expect, it } from 'vitest';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import type { Decoded } from '../../stream-jobs/rollup/decode.ts';
import {
  type CommitPoint,
  decodeMetadata,
  encodeMetadata,
  noMetadata,
  type Offsetted,
  PartitionProgress,
} from '../../stream-jobs/rollup/offsets.ts';
import { deduplicationToken } from '../../stream-jobs/rollup/sink.ts';
import type { WindowStats } from '../../stream-jobs/rollup/windows.ts';

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

const base = Date.UTC(2026, 0, 1);
const valid = (eventMs: number, edge = 0, durationUs = 100): Decoded => ({
  ok: true,
  edge: `s${edge}→d`,
  record: AccessLogRecord.fromPartial({
    startTimeUs: eventMs * 1000,
    sourceService: `s${edge}`,
    destinationCluster: 'd',
    upstreamEndpoint: `10.0.0.${edge}:80`,
    status: 200,
    durationUs,
  }),
});
const malformed: Decoded = {
  ok: false,
  reason: 'missing_source',
  message: 'source is empty',
  value: new Uint8Array([1, 2, 3]),
  valueType: 'meshgraph.v1.AccessLogRecord',
};
const at = (offset: number, value: Decoded): Offsetted<Decoded> => ({ offset, value });

describe('rollup offsets: commit metadata', () => {
  it('round-trips, infinite emitted-up-to and a pending insert included', () => {
    for (const m of [
      noMetadata,
      { emittedUpToMs: base + 10_000, handledTo: 41 },
      { emittedUpToMs: base, handledTo: 41, pending: { first: 42, last: 99 } },
      {
        emittedUpToMs: base,
        handledTo: 41,
        pending: {
          first: 42,
          last: 99,
          parts: [
            { partition: 0, first: 7, last: 8 },
            { partition: 3, first: 42, last: 99 },
          ],
        },
      },
    ]) {
      expect(decodeMetadata(encodeMetadata(m))).toEqual(m);
    }
    expect(
      encodeMetadata({
        emittedUpToMs: base,
        handledTo: 1,
        pending: { first: 2, last: 3, parts: [{ partition: 5, first: 2, last: 3 }] },
      }),
    ).toBe(`{"v":1,"emittedUpToMs":${base},"handledTo":1,"pending":[2,3],"block":[[5,2,3]]}`);
    expect(decodeMetadata(null)).toEqual(noMetadata);
    expect(decodeMetadata('')).toEqual(noMetadata);
  });

  it('refuses metadata it did not write, quoting it', () => {
    expect(() => decodeMetadata('hello')).toThrow(/'hello' is not JSON/);
    expect(() => decodeMetadata('{"v":2}')).toThrow(/is not \{"v":1/);
    expect(() => decodeMetadata('{"v":1,"emittedUpToMs":1.5,"handledTo":3}')).toThrow();
    expect(() =>
      decodeMetadata('{"v":1,"emittedUpToMs":1,"handledTo":3,"block":[[0,1,2]]}'),
    ).toThrow(/block is not \[\[partition, first, last\], …\] beside a pending/);
    expect(() => decodeMetadata('{"v":1,"emittedUpToMs":1,"handledTo":3,"pending":[1]}')).toThrow(
      /pending is not \[first, last\]/,
    );
  });
});

describe('rollup offsets: high-water mark and dead letters', () => {
  it('inserts only records above the ClickHouse high-water mark, whatever the batch boundaries', () => {
    const progress = new PartitionProgress({
      insertedTo: 5,
      metadata: noMetadata,
      committedOffset: 3,
    });
    const plan = progress.plan([3, 4, 5, 6, 7].map((o) => at(o, valid(base + o))));
    expect(plan.insert.map((x) => x.offset)).toEqual([6, 7]);
    expect(plan.alreadyInserted).toBe(3);
    expect(plan.valid).toHaveLength(5); // the windows still need the redelivered ones
    progress.apply(plan, 0);
    expect(progress.insertedTo).toBe(7);
    expect(deduplicationToken('access-logs.v2', 2, 6, 7)).toBe('access-logs.v2:2:6-7');
  });

  it('does not dead-letter again what the last run handled', () => {
    const progress = new PartitionProgress({
      insertedTo: -1,
      metadata: { emittedUpToMs: Number.NEGATIVE_INFINITY, handledTo: 10 },
      committedOffset: 9,
    });
    const plan = progress.plan([at(9, malformed), at(10, malformed), at(11, malformed)]);
    expect(plan.deadLetters.map((d) => [d.offset, d.reason])).toEqual([[11, 'missing_source']]);
    expect(plan.lastOffset).toBe(11);
  });

  it('commits past malformed and skipped records when no window holds them', () => {
    const progress = new PartitionProgress({
      insertedTo: -1,
      metadata: noMetadata,
      committedOffset: 0,
    });
    progress.apply(progress.plan([at(0, malformed), at(1, malformed)]), 0);
    expect(progress.commitPoint()?.offset).toBe(2);
  });
});

describe('rollup offsets: announced inserts', () => {
  it('announces an insert at the committed offset, and clears the announcement once done', () => {
    const progress = new PartitionProgress({
      insertedTo: -1,
      metadata: noMetadata,
      committedOffset: 0,
    });
    const plan = progress.plan([0, 1, 2].map((o) => at(o, valid(base + o))));
    const intent = progress.intent(plan);
    expect(intent?.offset).toBe(0);
    expect(decodeMetadata(intent?.metadata).pending).toEqual({ first: 0, last: 2 });
    if (intent) progress.committed(intent);
    progress.apply(plan, 0);
    const done = progress.commitPoint();
    expect(done?.offset).toBe(0); // the open windows still hold offset 0
    expect(decodeMetadata(done?.metadata)).toEqual({ emittedUpToMs: -Infinity, handledTo: 2 });
    expect(progress.intent(progress.plan([at(3, malformed)]))).toBeUndefined();
  });

  it('sends a pending insert again as the same block once all its records are back', () => {
    const metadata = { emittedUpToMs: -Infinity, handledTo: 9, pending: { first: 11, last: 14 } };
    // access_log has the block (high-water mark 14): a view's table may still lack it.
    const progress = new PartitionProgress({ insertedTo: 14, metadata, committedOffset: 10 });
    const first = progress.plan([10, 11, 12].map((o) => at(o, valid(base + o))));
    expect(first.repair).toBeUndefined(); // 13 and 14 are not back yet
    expect(first.insert).toEqual([]);
    expect(first.alreadyInserted).toBe(1);
    progress.apply(first, 0);
    expect(progress.commitPoint()?.offset).toBeLessThanOrEqual(10);
    expect(decodeMetadata(progress.commitPoint()?.metadata).pending).toEqual(metadata.pending);
    const second = progress.plan([
      at(13, malformed),
      ...[14, 15].map((o) => at(o, valid(base + o))),
    ]);
    expect(second.repair?.map((x) => x.offset)).toEqual([11, 12, 14]);
    expect(deduplicationToken('t', 0, 11, 14)).toBe('t:0:11-14'); // the token it had
    expect(second.insert.map((x) => x.offset)).toEqual([15]);
    progress.apply(second, 0);
    // Held until the resend is acknowledged.
    expect(decodeMetadata(progress.commitPoint()?.metadata).pending).toEqual(metadata.pending);
    expect(progress.commitPoint()?.offset).toBeLessThanOrEqual(11);
    progress.repaired();
    expect(progress.pendingRepair).toBeUndefined();
    expect(decodeMetadata(progress.commitPoint()?.metadata).pending).toBeUndefined();
  });
});

describe('rollup offsets: the commit point', () => {
  it('never passes a record an open window holds (random streams)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const progress = new PartitionProgress({
        insertedTo: -1,
        metadata: noMetadata,
        committedOffset: 0,
      });
      const held = new Map<number, number>(); // offset → event ms, records not yet emitted
      let offset = 0;
      let event = base;
      let last = -1;
      for (let b = 0; b < 60; b++) {
        const batch: Offsetted<Decoded>[] = [];
        for (let i = r.int(1, 20); i > 0; i--) {
          event += r.int(0, 300);
          const value = r.next() < 0.1 ? malformed : valid(event - r.int(0, 1500), r.int(0, 2));
          if (value.ok) held.set(offset, Math.floor(value.record.startTimeUs / 1000));
          batch.push(at(offset++, value));
        }
        progress.apply(progress.plan(batch), 0);
        if (r.next() < 0.2) progress.windows.advanceIdle(event + 60_000, true);
        progress.windows.closeReady();
        for (const [o, ms] of held)
          if (Math.floor(ms / 10_000) * 10_000 + 10_000 <= progress.windows.emittedUpToMs)
            held.delete(o);
        const point = progress.commitPoint();
        if (!point) continue;
        expect(point.offset, `seed ${seed}`).toBeGreaterThanOrEqual(last);
        expect(point.offset).toBeLessThanOrEqual(Math.min(offset, ...held.keys()));
        progress.committed(point);
        last = point.offset;
      }
    }
  });
});

/**
 * The whole exactly-once loop against fakes. ClickHouse: two tables fed by one insert (access_log
 * and a view's table), each dropping a token it has seen; an insert cut short by a crash reaches
 * only some of them, in either order. Kafka: the committed offset and metadata. The job "crashes"
 * at random steps and restarts from what the fakes hold; batch sizes differ every run.
 */
function simulate(messages: Offsetted<Decoded>[], seed: number, crashRate: number) {
  const r = rng(seed);
  const table = () => ({ rows: new Map<number, number>(), tokens: new Set<string>() });
  const access = table();
  const view = table();
  let group = { offset: 0, metadata: null as string | null };
  const emitted: WindowStats[] = [];
  const deadLettered: number[] = [];
  let crashes = 0;
  let late = 0;
  const crash = () => r.next() < crashRate && ++crashes > 0;
  /** Whether the insert completed; otherwise the process died inside it. */
  const insert = (rows: Offsetted<unknown>[]) => {
    const token = deduplicationToken('t', 0, rows[0]?.offset ?? -1, rows.at(-1)?.offset ?? -1);
    const order = r.next() < 0.5 ? [access, view] : [view, access];
    const reached = crash() ? r.int(0, 1) : 2;
    for (const t of order.slice(0, reached)) {
      if (t.tokens.has(token)) continue;
      t.tokens.add(token);
      for (const { offset } of rows) t.rows.set(offset, (t.rows.get(offset) ?? 0) + 1);
    }
    return reached === 2;
  };
  run: for (;;) {
    const insertedTo = access.rows.size === 0 ? -1 : Math.max(...access.rows.keys());
    const metadata = decodeMetadata(group.metadata);
    const progress = new PartitionProgress(
      { insertedTo, metadata, committedOffset: group.offset },
      { allowedLatenessMs: 2000 },
    );
    const commit = (point: CommitPoint) => {
      group = { offset: point.offset, metadata: point.metadata };
      progress.committed(point);
    };
    let pos = group.offset;
    for (;;) {
      const batch = messages.slice(pos, pos + r.int(1, 40));
      const plan = progress.plan(batch);
      if (plan.repair) {
        if (!insert(plan.repair)) continue run;
        progress.repaired();
      }
      const intent = progress.intent(plan);
      if (intent) {
        commit(intent);
        if (crash() || !insert(plan.insert)) continue run;
      }
      if (crash()) continue run;
      deadLettered.push(...plan.deadLetters.map((d) => d.offset));
      late += progress.apply(plan, 0).late;
      if (batch.length === 0) progress.windows.advanceIdle(Number.MAX_SAFE_INTEGER, true);
      emitted.push(...progress.windows.closeReady());
      if (crash()) continue run;
      const point = progress.commitPoint();
      if (point) commit(point);
      if (batch.length === 0) break run;
      if (crash()) continue run;
      pos += batch.length;
    }
  }
  return { access: access.rows, view: view.rows, emitted, deadLettered, crashes, late };
}

describe('rollup offsets: restarts', () => {
  it('store every record once in every table and never emit a partial window twice (random crashes)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(1000 + seed);
      const messages: Offsetted<Decoded>[] = [];
      for (let i = 0; i < 600; i++) {
        const event = base + i * 40 - r.int(0, 1500); // out of order, within the lateness
        const value = r.next() < 0.05 ? malformed : valid(event, r.int(0, 3), r.int(1, 1e6));
        messages.push(at(i, value));
      }
      const reference = simulate(messages, seed, 0);
      const crashed = simulate(messages, seed, 0.08);
      expect(crashed.crashes, `seed ${seed}`).toBeGreaterThan(0);
      const validOffsets = messages.filter((m) => m.value.ok).map((m) => m.offset);
      for (const [name, rows] of [
        ['access_log', crashed.access],
        ['view table', crashed.view],
      ] as const) {
        expect(
          [...rows.keys()].sort((a, b) => a - b),
          `seed ${seed} ${name}`,
        ).toEqual(validOffsets);
        expect(
          [...rows.values()].every((n) => n === 1),
          `seed ${seed} ${name}`,
        ).toBe(true);
      }
      expect(new Set(crashed.deadLettered).size).toBe(messages.length - validOffsets.length);
      expect(reference.late + crashed.late).toBe(0);
      // Every window emitted, each copy equal to the uninterrupted run's: a crash between emit
      // and commit may repeat a window, but only whole.
      const id = (w: WindowStats) =>
        `${w.windowSeconds}|${w.windowStartMs}|${w.sourceService}|${w.upstreamEndpoint}`;
      const summary = (w: WindowStats) => [w.requests, w.durationSumUs, w.latency.count];
      const expected = new Map(reference.emitted.map((w) => [id(w), summary(w)]));
      expect(expected.size).toBe(reference.emitted.length);
      for (const w of crashed.emitted) expect(summary(w), `${id(w)}`).toEqual(expected.get(id(w)));
      expect(new Set(crashed.emitted.map(id))).toEqual(new Set(expected.keys()));
    }
  });
});
