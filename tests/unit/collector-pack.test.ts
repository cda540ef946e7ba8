import { describe, expect, it } from 'vitest';
import { splitBatch } from '../../stream-jobs/access-log-batch.ts';
import { toTopicMessages } from '../../stream-jobs/collector/pack.ts';
import type { OutMessage } from '../../stream-jobs/collector/producer.ts';
import { accessLogsDeadLetterTopic, accessLogsTopic } from '../../stream-jobs/topics.ts';

const rec = (key: string, n: number): OutMessage => ({
  topic: accessLogsTopic.name,
  key,
  value: Buffer.from([n]),
});
const letter: OutMessage = {
  topic: accessLogsDeadLetterTopic.name,
  key: 'node-1',
  value: Buffer.from('bad'),
  headers: { 'meshgraph-reason': 'missing_start_time' },
  reason: 'missing_start_time',
};

describe('collector: a batch as Kafka messages', () => {
  it('packs records per edge in their order, first-seen edge first; dead letters one each', () => {
    const batch = [rec('a→b', 1), letter, rec('c→d', 2), rec('a→b', 3), rec('c→d', 4)];
    const topics = toTopicMessages(batch);
    expect(topics.map((t) => t.topic)).toEqual([
      accessLogsDeadLetterTopic.name,
      accessLogsTopic.name,
    ]);
    const [dlq, logs] = topics;
    expect(dlq?.messages).toEqual([
      {
        key: 'node-1',
        value: Buffer.from('bad'),
        headers: { 'meshgraph-reason': 'missing_start_time' },
      },
    ]);
    expect(
      logs?.messages.map((m) => [m.key, splitBatch(m.value as Buffer).map((r) => r[0])]),
    ).toEqual([
      ['a→b', [1, 3]],
      ['c→d', [2, 4]],
    ]);
  });

  it('splits one edge over several messages at the byte bound, order kept', () => {
    const batch = [1, 2, 3, 4, 5].map((n) => rec('a→b', n));
    const messages = toTopicMessages(batch, 6)[0]?.messages ?? [];
    expect(messages.map((m) => splitBatch(m.value as Buffer).map((r) => r[0]))).toEqual([
      [1, 2],
      [3, 4],
      [5],
    ]);
  });
});
