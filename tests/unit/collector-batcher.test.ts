import kafkajs, { CompressionTypes, type Producer, type ProducerBatch } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatcherOptions } from '../../stream-jobs/collector/batcher.ts';
import {
  divertToDeadLetters,
  isRetriable,
  kafkaSender,
  type OutMessage,
} from '../../stream-jobs/collector/producer.ts';
import { sendWithRetry } from '../../stream-jobs/collector/retry.ts';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** A send that records every batch it was given (attempts included) and succeeds. */
function recording() {
  const attempts: number[][] = [];
  return { attempts, send: async (batch: number[]) => void attempts.push([...batch]) };
}

/** A send whose every call waits until the test releases it (or fails it). */
function gated() {
  const calls: Array<{ batch: number[]; release: () => void; fail: (e: Error) => void }> = [];
  const send = (batch: number[]) =>
    new Promise<void>((release, fail) => calls.push({ batch: [...batch], release, fail }));
  return { calls, send };
}

function batcher(options: Partial<BatcherOptions<number>> & Pick<BatcherOptions<number>, 'send'>) {
  return new Batcher<number>({ sizeOf: () => 10, ...options });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Batcher: when batches go', () => {
  it('sends as soon as a batch is full, one batch in flight at a time', async () => {
    const { calls, send } = gated();
    const b = batcher({ send, maxBatchRecords: 3, lingerMs: 1000 });
    b.push(range(0, 7));
    expect(calls.map((c) => c.batch)).toEqual([[0, 1, 2]]);
    calls[0]?.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.batch)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    calls[1]?.release();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(2); // [6] waits for its batch to fill…
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.batch)[2]).toEqual([6]); // …at most lingerMs
  });

  it('sends a partial batch after lingerMs', async () => {
    const { attempts, send } = recording();
    const b = batcher({ send, lingerMs: 50 });
    b.push([1]);
    await vi.advanceTimersByTimeAsync(20);
    b.push([2]);
    await vi.advanceTimersByTimeAsync(29);
    expect(attempts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // 50 ms after the first item
    expect(attempts).toEqual([[1, 2]]);
  });

  it('cuts batches by bytes, and sends one item larger than a batch alone', async () => {
    const { attempts, send } = recording();
    const sizes = new Map([[3, 500]]);
    const b = batcher({ send, sizeOf: (n) => sizes.get(n) ?? 100, maxBatchBytes: 250 });
    b.push([1, 2, 3, 4]);
    await b.flush();
    expect(attempts).toEqual([[1, 2], [3], [4]]);
    expect(b.buffered).toEqual({ records: 0, bytes: 0 });
  });
});

describe('Batcher: bounded memory and backpressure', () => {
  it('counts queued and in-flight items against the bound and says when it is full', async () => {
    const { calls, send } = gated();
    const b = batcher({ send, maxBufferedRecords: 10, maxBatchRecords: 4, resumeRatio: 0.5 });
    expect(b.push(range(0, 9))).toBe(true);
    expect(b.buffered).toEqual({ records: 9, bytes: 90 });
    expect(b.push([9])).toBe(false); // 10 held: 4 in flight + 6 queued
    expect(b.full).toBe(true);
    let resumed = false;
    void b.whenRoom().then(() => {
      resumed = true;
    });
    calls[0]?.release(); // 6 left: below the bound, not yet below half of it
    await vi.advanceTimersByTimeAsync(0);
    expect([b.full, resumed]).toEqual([false, false]);
    calls[1]?.release(); // 2 left
    await vi.advanceTimersByTimeAsync(0);
    expect(resumed).toBe(true);
  });

  it('bounds bytes the same way', () => {
    const b = batcher({ send: gated().send, maxBufferedBytes: 100 });
    expect(b.push(range(0, 9))).toBe(true);
    expect(b.push([9])).toBe(false);
  });

  it('keeps a fast reader within the bound while the sender is slow, losing nothing', async () => {
    const delivered: number[] = [];
    let maxHeld = 0;
    const send = async (batch: number[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      delivered.push(...batch);
    };
    const b = batcher({ send, maxBufferedRecords: 100, maxBatchRecords: 20, lingerMs: 1 });
    let pauses = 0;
    const reader = (async () => {
      // Like a gRPC stream: 7 entries per message, pause when full.
      for (let message = 0; message < 300; message++) {
        const full = !b.push(range(message * 7, message * 7 + 7));
        maxHeld = Math.max(maxHeld, b.buffered.records);
        if (full) {
          pauses++;
          await b.whenRoom();
        }
      }
    })();
    await vi.runAllTimersAsync();
    await reader;
    await b.flush();
    expect(delivered).toEqual(range(0, 2100));
    expect(pauses).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThan(100 + 7); // the bound, plus at most one message
  });
});

describe('Batcher: failures', () => {
  it('retries a failing batch with backoff, holding it, in order, never dropping', async () => {
    let failures = 4;
    const attempts: number[][] = [];
    const send = async (batch: number[]) => {
      attempts.push([...batch]);
      if (batch[0] === 0 && failures-- > 0) throw new Error('broker not available');
    };
    const delays: number[] = [];
    const b = batcher({
      send,
      maxBatchRecords: 2,
      retryInitialMs: 100,
      retryMaxMs: 300,
      observer: { retrying: (_e, _attempt, delay) => delays.push(delay) },
    });
    b.push([0, 1, 2, 3]);
    // Attempts at 0, 100, 300 (100 + 200) and 600 (+300, the cap) fail; the one at 900 works.
    await vi.advanceTimersByTimeAsync(899);
    expect(attempts).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(b.buffered.records).toBe(4); // held, still counted against the bound
    await vi.advanceTimersByTimeAsync(1);
    await b.flush();
    expect(delays).toEqual([100, 200, 300, 300]);
    expect(attempts.slice(4)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('sends onFailure replacements first for a non-retriable failure', async () => {
    const attempts: number[][] = [];
    const send = async (batch: number[]) => {
      attempts.push([...batch]);
      if (batch.includes(1)) throw new Error('message too large');
    };
    const dropped: number[][] = [];
    const b = batcher({
      send,
      maxBatchRecords: 2,
      isRetriable: () => false,
      onFailure: (batch) => batch.filter((n) => n !== 1).map((n) => n + 100),
      observer: { dropped: (items) => dropped.push(items) },
    });
    b.push([0, 1, 2, 3]);
    await b.flush();
    // Replacements go first, then the queue carries on (in batches as usual).
    expect(attempts).toEqual([[0, 1], [100, 2], [3]]);
    expect(dropped).toEqual([]);
  });

  it('drops (and reports) a batch that fails for good with no replacement', async () => {
    const dropped: Array<[number[], string]> = [];
    const b = batcher({
      send: async (batch) => {
        if (batch.includes(0)) throw new Error('authorization failed');
      },
      isRetriable: () => false,
      observer: { dropped: (items, reason) => dropped.push([items, reason]) },
    });
    b.push([0, 1]);
    await b.flush();
    expect(dropped).toEqual([[[0, 1], 'non_retriable']]);
    expect(b.buffered.records).toBe(0);
  });
});

describe('Batcher: close', () => {
  it('flushes what is buffered and then refuses items', async () => {
    const { attempts, send } = recording();
    const b = batcher({ send, lingerMs: 10_000 });
    b.push([1, 2]);
    expect(await b.close()).toEqual({ unsent: 0 });
    expect(attempts).toEqual([[1, 2]]);
    expect(() => b.push([3])).toThrow(
      'Batcher.push: the batcher is closed and takes no more items',
    );
  });

  it('gives up after the timeout when the broker never answers, and reports what is lost', async () => {
    const dropped: Array<[number[], string]> = [];
    const b = batcher({
      send: async () => {
        throw new Error('broker not available');
      },
      maxBatchRecords: 2,
      observer: { dropped: (items, reason) => dropped.push([items, reason]) },
    });
    b.push([1, 2, 3]);
    const closed = b.close(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await closed).toEqual({ unsent: 3 });
    expect(dropped).toEqual([[[1, 2, 3], 'shutdown']]);
    expect(vi.getTimerCount()).toBe(0); // no backoff left behind
  });
});

describe('sendWithRetry', () => {
  it('stops at the first non-retriable failure and reports it', async () => {
    const error = new Error('bad');
    const outcome = await sendWithRetry(
      async () => {
        throw error;
      },
      { isRetriable: () => false, initialMs: 1, maxMs: 1 },
    );
    expect(outcome).toEqual({ outcome: 'failed', error });
  });
});

describe('producer: retry rules and dead letters', () => {
  // kafkajs's own error classes, as its producer throws them.
  type ErrorClass = new (e: unknown, options?: object) => Error;
  const errors = kafkajs as unknown as Record<
    | 'KafkaJSConnectionError'
    | 'KafkaJSNonRetriableError'
    | 'KafkaJSNumberOfRetriesExceeded'
    | 'KafkaJSProtocolError',
    ErrorClass
  >;
  const {
    KafkaJSConnectionError,
    KafkaJSNonRetriableError,
    KafkaJSNumberOfRetriesExceeded,
    KafkaJSProtocolError,
  } = errors;
  const connection = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
  const protocol = (type: string, retriable: boolean) =>
    new KafkaJSProtocolError({ message: type, type, retriable });

  it('retries what kafkajs calls retriable, also when wrapped after its own retries', () => {
    expect(isRetriable(connection())).toBe(true);
    expect(isRetriable(protocol('NOT_LEADER_OR_FOLLOWER', true))).toBe(true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(connection(), { retryCount: 5 });
    expect(isRetriable(exhausted)).toBe(true);
    // What a producer send throws when reconnecting gave up first (seen against a dead broker).
    const nested = new KafkaJSNonRetriableError(exhausted, { cause: connection() });
    expect(isRetriable(nested)).toBe(true);
  });

  it('gives up on what is final', () => {
    expect(isRetriable(protocol('TOPIC_AUTHORIZATION_FAILED', false))).toBe(false);
    const wrapped = protocol('MESSAGE_TOO_LARGE', false);
    expect(isRetriable(new KafkaJSNonRetriableError(wrapped, { cause: wrapped }))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('no cause'))).toBe(false);
    expect(isRetriable(new TypeError('bug'))).toBe(false);
    expect(isRetriable('not an error')).toBe(false);
  });

  it('diverts records Kafka refused to the DLQ, and lets failed dead letters go', () => {
    const record: OutMessage = { topic: 'access-logs.v2', key: 'a→b', value: Buffer.from([1, 2]) };
    const letter: OutMessage = { topic: 'access-logs.dlq.v1', key: null, value: Buffer.from([3]) };
    const error = protocol('INVALID_RECORD', false);
    expect(divertToDeadLetters([record, letter], error)).toEqual([
      {
        topic: 'access-logs.dlq.v1',
        key: 'a→b',
        value: Buffer.from([1, 2]),
        reason: 'produce_failed',
        headers: {
          'meshgraph-reason': 'produce_failed',
          'meshgraph-message': 'KafkaJSProtocolError: INVALID_RECORD',
          'meshgraph-value-type': 'meshgraph.v1.AccessLogRecord',
          'meshgraph-node': '',
        },
      },
    ]);
  });

  it('sends one batch as one sendBatch, per topic in order, acks=all, GZIP', async () => {
    const calls: ProducerBatch[] = [];
    const producer = {
      sendBatch: async (b: ProducerBatch) => void calls.push(b),
    } as unknown as Producer;
    const m = (topic: string, key: string): OutMessage => ({ topic, key, value: Buffer.from(key) });
    await kafkaSender(producer)([m('t1', 'a'), m('t2', 'b'), m('t1', 'c')]);
    expect(calls).toEqual([
      {
        acks: -1,
        compression: CompressionTypes.GZIP,
        timeout: 30_000,
        topicMessages: [
          {
            topic: 't1',
            messages: [m('t1', 'a'), m('t1', 'c')].map(({ key, value }) => ({
              key,
              value,
              headers: undefined,
            })),
          },
          { topic: 't2', messages: [{ key: 'b', value: Buffer.from('b'), headers: undefined }] },
        ],
      },
    ]);
  });
});
