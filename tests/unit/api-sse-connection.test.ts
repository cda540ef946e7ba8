import { describe, expect, it, vi } from 'vitest';
import { SseConnection, type SseOutput } from '../../api/graph/sse.ts';
import type { GraphChange } from '../../stream-jobs/graph/events.ts';

describe('SseConnection: backpressure', () => {
  class FakeOutput implements SseOutput {
    chunks: string[] = [];
    writableNeedDrain = false;
    writableLength = 0;
    ended = false;
    #drain: Array<() => void> = [];
    write(chunk: string) {
      this.chunks.push(chunk);
      this.writableLength += chunk.length;
      return !this.writableNeedDrain;
    }
    end() {
      this.ended = true;
    }
    on(_event: 'drain', listener: () => void) {
      this.#drain.push(listener);
    }
    off(_event: 'drain', listener: () => void) {
      this.#drain = this.#drain.filter((l) => l !== listener);
    }
    drain() {
      this.writableNeedDrain = false;
      for (const listener of this.#drain) listener();
    }
  }
  const stats = (key: string, atMs: number): GraphChange => ({
    type: 'edge-stats',
    atMs,
    key,
    lastSeenMs: atMs,
    stats: {} as never,
  });
  const events = (out: FakeOutput) =>
    out.chunks.map((chunk) => /^event: (\S+)\ndata: (.*)\n\n$/.exec(chunk)?.slice(1));

  it('drops only edge-stats while the client is behind, then sends the latest of each', () => {
    const out = new FakeOutput();
    const present = new Set(['a→b', 'b→c']);
    const connection = new SseConnection(out, {
      heartbeatMs: 0,
      current: (key) => (present.has(key) ? stats(key, 99) : undefined),
    });
    connection.change(stats('a→b', 1));
    out.writableNeedDrain = true;
    connection.change(stats('a→b', 2));
    connection.change(stats('b→c', 2));
    connection.change(stats('c→d', 2));
    connection.change({ type: 'node-removed', atMs: 3, key: 'x' });
    connection.change({ type: 'edge-removed', atMs: 3, key: 'c→d', source: 'c', target: 'd' });
    present.delete('b→c'); // gone by the time the client catches up, without an event seen
    expect(connection.dropped).toBe(3);
    out.drain();
    expect(events(out)).toEqual([
      ['edge-stats', JSON.stringify(stats('a→b', 1))],
      ['node-removed', JSON.stringify({ type: 'node-removed', atMs: 3, key: 'x' })],
      [
        'edge-removed',
        JSON.stringify({ type: 'edge-removed', atMs: 3, key: 'c→d', source: 'c', target: 'd' }),
      ],
      ['edge-stats', JSON.stringify(stats('a→b', 99))],
    ]);
    connection.close();
    expect(out.ended).toBe(true);
  });

  it('ends a stream whose unsent events pass maxBufferedBytes', () => {
    const out = new FakeOutput();
    const connection = new SseConnection(out, {
      heartbeatMs: 0,
      maxBufferedBytes: 100,
      current: () => undefined,
    });
    out.writableNeedDrain = true;
    connection.change({ type: 'node-removed', atMs: 1, key: 'a'.repeat(200) });
    expect(out.ended).toBe(true);
    expect(connection.closed).toBe(true);
  });

  it('lets a snapshot pass maxBufferedBytes, and counts the limit again once it has drained', () => {
    const out = new FakeOutput();
    const connection = new SseConnection(out, {
      heartbeatMs: 0,
      maxBufferedBytes: 100,
      current: () => undefined,
    });
    out.writableNeedDrain = true;
    connection.snapshot({ nodes: ['n'.repeat(500)] });
    connection.change({ type: 'node-removed', atMs: 1, key: 'a' });
    expect(connection.closed).toBe(false);
    out.writableLength = 0;
    out.drain();
    out.writableNeedDrain = true;
    connection.change({ type: 'node-removed', atMs: 2, key: 'b'.repeat(200) });
    expect(connection.closed).toBe(true);
  });

  it('sends a heartbeat comment while quiet, none while behind', () => {
    vi.useFakeTimers();
    try {
      const out = new FakeOutput();
      const connection = new SseConnection(out, { heartbeatMs: 1000, current: () => undefined });
      vi.advanceTimersByTime(1000);
      out.writableNeedDrain = true;
      vi.advanceTimersByTime(1000);
      expect(out.chunks).toEqual([': heartbeat\n\n']);
      connection.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
