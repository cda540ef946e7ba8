import type { Producer, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { decodeDecision } from '../../stream-jobs/policy/codec.ts';
import { RoutingPublisher } from '../../stream-jobs/policy/publisher.ts';
import type { Decision } from '../../stream-jobs/policy/types.ts';

const log = createLogger('test', { level: 'silent' });

function decision(cluster: string, decidedAtMs: number): Decision {
  return { cluster, decidedAtMs, dataUpToMs: 0, reason: 'adaptive', dryRun: false, endpoints: [] };
}

/** A producer whose sends wait until the test settles them, one by one. */
function manualProducer() {
  const sends: Array<{ record: ProducerRecord; settle: (error?: Error) => void }> = [];
  const producer = {
    send: (record: ProducerRecord) =>
      new Promise((resolve, reject) => {
        sends.push({ record, settle: (error) => (error ? reject(error) : resolve([])) });
      }),
  } as unknown as Producer;
  const sent = (i: number) =>
    sends[i]?.record.messages.map((m) => [
      m.key,
      m.value === null ? null : decodeDecision(m.value as Buffer).decidedAtMs,
    ]);
  return { producer, sends, sent };
}

describe('RoutingPublisher', () => {
  it('keeps one send in flight and only the latest message per cluster behind it', async () => {
    const { producer, sends, sent } = manualProducer();
    const publisher = new RoutingPublisher(producer, log);
    publisher.publish([], [decision('a', 1)]);
    publisher.publish([], [decision('a', 2), decision('b', 2)]);
    publisher.publish(['b'], [decision('a', 3)]);
    expect(sends).toHaveLength(1);
    expect(sent(0)).toEqual([['a', 1]]);
    sends[0]?.settle();
    await Promise.resolve();
    await publisher.idle();
    publisher.publish([], []);
    expect(sent(1)).toEqual([
      ['a', 3],
      ['b', null],
    ]);
  });

  it('puts a failed batch back unless something newer arrived, and reports the problem', async () => {
    const { producer, sends, sent } = manualProducer();
    const publisher = new RoutingPublisher(producer, log);
    publisher.publish(['c'], [decision('a', 1), decision('b', 1)]);
    publisher.publish([], [decision('b', 2)]);
    sends[0]?.settle(new Error('broker down'));
    await publisher.idle();
    expect(publisher.problem).toBe('routing.v1 unreachable: broker down');
    publisher.publish([], []);
    expect(sent(1)).toEqual([
      ['b', 2],
      ['c', null],
      ['a', 1],
    ]);
    sends[1]?.settle();
    await publisher.idle();
    expect(publisher.problem).toBeUndefined();
  });
});
