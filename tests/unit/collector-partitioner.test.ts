import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { cachingDefaultPartitioner } from '../../stream-jobs/collector/producer.ts';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: partitionId % 3 === 0 ? -1 : 1, // some without a leader: the hash ignores that
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

describe('cachingDefaultPartitioner', () => {
  it('answers exactly as the default (murmur2) partitioner, cached or not', () => {
    const cached = cachingDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    for (const count of [6, 1, 7, 6]) {
      const partitionMetadata = metadata(count);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 300; i++) {
          const key = `svc-${i % 40}→cluster-${i}`;
          const args = { topic: 'access-logs.v2', partitionMetadata, message: { key, value: '' } };
          expect(cached(args)).toBe(reference(args));
        }
      }
    }
  });

  it('passes explicit partitions, Buffer keys and keyless messages to the default', () => {
    const cached = cachingDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(6);
    const topic = 'access-logs.v2';
    const explicit = { key: 'a→b', value: '', partition: 4 };
    expect(cached({ topic, partitionMetadata, message: explicit })).toBe(4);
    const buffer = { key: Buffer.from('a→b'), value: '' };
    expect(cached({ topic, partitionMetadata, message: buffer })).toBe(
      reference({ topic, partitionMetadata, message: buffer }),
    );
    const keyless = cached({ topic, partitionMetadata, message: { key: null, value: '' } });
    expect(keyless).toBeGreaterThanOrEqual(0);
    expect(keyless).toBeLessThan(6);
  });
});
