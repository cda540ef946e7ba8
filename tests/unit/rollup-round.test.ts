import { describe, expect, it } from 'vitest';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import type { Decoded } from '../../stream-jobs/rollup/decode.ts';
import {
  type CommitPoint,
  decodeMetadata,
  noMetadata,
  PartitionProgress,
} from '../../stream-jobs/rollup/offsets.ts';
import { BlockRepairs } from '../../stream-jobs/rollup/repairs.ts';
import { InsertRounds } from '../../stream-jobs/rollup/round.ts';
import { type BlockRows, blockToken, type InsertResult } from '../../stream-jobs/rollup/sink.ts';

const base = Date.UTC(2026, 0, 1);
const valid = (offset: number): { offset: number; value: Decoded } => ({
  offset,
  value: {
    ok: true,
    edge: 'a→b',
    record: AccessLogRecord.fromPartial({
      startTimeUs: (base + offset) * 1000,
      sourceService: 'a',
      destinationCluster: 'b',
      status: 200,
      durationUs: 100,
    }),
  },
});
const fresh = (committedOffset = 0) =>
  new PartitionProgress({ insertedTo: -1, metadata: noMetadata, committedOffset });

function recordingIO(fail?: 'announce' | 'insert') {
  const calls: Array<
    { announce: Array<{ partition: number; point: CommitPoint }> } | { insert: BlockRows[] }
  > = [];
  const acknowledged: string[] = [];
  return {
    calls,
    acknowledged,
    io: {
      announce: async (points: ReadonlyArray<{ partition: number; point: CommitPoint }>) => {
        calls.push({ announce: [...points] });
        if (fail === 'announce') throw new Error('the group rebalanced');
      },
      insert: async (blocks: readonly BlockRows[]): Promise<InsertResult> => {
        calls.push({ insert: [...blocks] });
        if (fail === 'insert') throw new Error('engine busy');
        const rows = blocks.reduce((n, b) => n + b.records.length, 0);
        return { rows, attempts: 1, token: 't' };
      },
      acknowledged: (parts: readonly { partition: number }[]) =>
        void acknowledged.push(parts.map((p) => p.partition).join(',')),
    },
  };
}

describe('rollup insert rounds', () => {
  it('gathers the partitions of a fetch into one insert, announced first in one commit', async () => {
    const { io, calls, acknowledged } = recordingIO();
    const rounds = new InsertRounds(io, { gatherMs: 5 });
    const [p3, p1] = [fresh(10), fresh(20)];
    const plan3 = p3.plan([10, 11].map(valid));
    const plan1 = p1.plan([20, 21, 22].map(valid));
    const results = await Promise.all([
      rounds.submit({ partition: 3, state: p3, plan: plan3 }),
      rounds.submit({ partition: 1, state: p1, plan: plan1 }),
    ]);
    expect(results).toEqual([
      { rows: 5, attempts: 1, token: 't' },
      { rows: 5, attempts: 1, token: 't' },
    ]);
    expect(calls.map((c) => Object.keys(c)[0])).toEqual(['announce', 'insert']);
    const announce = (calls[0] as { announce: Array<{ partition: number; point: CommitPoint }> })
      .announce;
    const parts = [
      { partition: 1, first: 20, last: 22 },
      { partition: 3, first: 10, last: 11 },
    ];
    // Partition order; each keeps its committed offset and names every part.
    expect(announce.map((a) => [a.partition, a.point.offset])).toEqual([
      [1, 20],
      [3, 10],
    ]);
    expect(decodeMetadata(announce[0]?.point.metadata).pending).toEqual({
      first: 20,
      last: 22,
      parts,
    });
    expect(decodeMetadata(announce[1]?.point.metadata).pending).toEqual({
      first: 10,
      last: 11,
      parts,
    });
    const inserted = (calls[1] as { insert: BlockRows[] }).insert;
    expect(inserted.map((b) => [b.partition, b.records.map((r) => r.offset)])).toEqual([
      [1, [20, 21, 22]],
      [3, [10, 11]],
    ]);
    expect(acknowledged).toEqual(['1,3']);
    expect(p1.lastCommit).toEqual(announce[0]?.point);
    expect(blockToken('t', parts)).toBe('t:1:20-22+3:10-11');
  });

  it('a lone partition announces a single-partition insert (the plain token, no block)', async () => {
    const { io, calls } = recordingIO();
    const state = fresh(5);
    await new InsertRounds(io).submit({ partition: 0, state, plan: state.plan([valid(5)]) });
    const announce = (calls[0] as { announce: Array<{ point: CommitPoint }> }).announce;
    expect(decodeMetadata(announce[0]?.point.metadata).pending).toEqual({ first: 5, last: 5 });
  });

  it.each(['announce', 'insert'] as const)(
    'a failed %s fails every entry of the round',
    async (fail) => {
      const { io, calls } = recordingIO(fail);
      const rounds = new InsertRounds(io);
      const [a, b] = [fresh(), fresh()];
      const settled = await Promise.allSettled([
        rounds.submit({ partition: 0, state: a, plan: a.plan([valid(0)]) }),
        rounds.submit({ partition: 1, state: b, plan: b.plan([valid(0)]) }),
      ]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect(calls.map((c) => Object.keys(c)[0])).toEqual(
        fail === 'announce' ? ['announce'] : ['announce', 'insert'],
      );
    },
  );

  it('refuses an entry with nothing to insert', () => {
    const state = fresh();
    expect(() =>
      new InsertRounds(recordingIO().io).submit({ partition: 2, state, plan: state.plan([]) }),
    ).toThrow('InsertRounds.submit: partition 2 has nothing to insert');
  });
});

describe('rollup block repairs', () => {
  const parts = [
    { partition: 4, first: 80, last: 81 },
    { partition: 5, first: 130, last: 131 },
  ];
  const pendingState = (partition: number) => {
    const own = parts.find((p) => p.partition === partition) ?? parts[0];
    const metadata = {
      emittedUpToMs: Number.NEGATIVE_INFINITY,
      handledTo: (own?.first ?? 0) - 1,
      pending: { first: own?.first ?? 0, last: own?.last ?? 0, parts },
    };
    return new PartitionProgress({ insertedTo: -1, metadata, committedOffset: own?.first ?? 0 });
  };

  it('waits for every part, then gives the block back in the announced order', () => {
    const repairs = new BlockRepairs('t');
    const [s5, s4] = [pendingState(5), pendingState(4)];
    const rows5 = s5.plan([130, 131].map(valid)).repair ?? [];
    const rows4 = s4.plan([80, 81].map(valid)).repair ?? [];
    expect(repairs.add(5, s5, rows5, 1000)).toEqual({
      status: 'waiting',
      token: 't:4:80-81+5:130-131',
    });
    expect(repairs.waiting()).toEqual([
      { token: 't:4:80-81+5:130-131', missing: [4], sinceMs: 1000 },
    ]);
    const step = repairs.add(4, s4, rows4, 1500);
    expect(step.status).toBe('complete');
    if (step.status !== 'complete') return;
    expect(step.blocks.map((b) => [b.partition, b.records.map((r) => r.offset)])).toEqual([
      [4, [80, 81]],
      [5, [130, 131]],
    ]);
    expect(step.states).toEqual([s5, s4]);
    repairs.sent(step.token);
    expect(repairs.waiting()).toEqual([]);
    // A partition read again after the resend needs none.
    expect(repairs.add(5, pendingState(5), rows5, 2000)).toEqual({
      status: 'done',
      token: step.token,
    });
    repairs.clear();
    expect(repairs.add(5, pendingState(5), rows5, 3000).status).toBe('waiting');
  });

  it('refuses records of a partition whose pending block does not name it', () => {
    expect(() => new BlockRepairs('t').add(9, pendingState(5), [], 0)).toThrow(
      'BlockRepairs.add: partition 9 has no pending block naming it',
    );
  });
});
