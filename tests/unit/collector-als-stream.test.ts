import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HTTPAccessLogEntry } from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import {
  type DeepPartial,
  StreamAccessLogsMessage,
} from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { AlsStream, splitMessage } from '../../stream-jobs/collector/als-stream.ts';
import { CollectorMetrics } from '../../stream-jobs/collector/metrics.ts';
import { sizeOf } from '../../stream-jobs/collector/producer.ts';
import { edgeKey } from '../../stream-jobs/collector/record.ts';
import { expectedRecord, fullEntry } from '../support/access-log-entry.ts';

// AlsStream: raw ALS stream messages to Kafka messages and dead letters. The entry → record
// mapping itself is collector-record.test.ts.

describe('AlsStream: raw ALS messages to Kafka messages', () => {
  const metrics = () => new CollectorMetrics(new Registry(), () => ({ records: 0, bytes: 0 }));
  const message = (m: DeepPartial<StreamAccessLogsMessage>) =>
    StreamAccessLogsMessage.encode(StreamAccessLogsMessage.fromPartial(m)).finish();
  const identifier = {
    node: { id: 'envoy-web-1', cluster: 'web', metadata: { service: 'web' } },
    logName: 'mesh',
  };

  it('remembers the node from the first message for the later ones', () => {
    const stream = new AlsStream({ metrics: metrics(), record: {} });
    const first = stream.handle(message({ identifier, httpLogs: { logEntry: [fullEntry()] } }));
    const later = stream.handle(message({ httpLogs: { logEntry: [fullEntry(), fullEntry()] } }));
    expect(first.fatal).toBeUndefined();
    expect([...first.messages, ...later.messages].map((m) => [m.topic, m.key])).toEqual([
      ['access-logs.v2', 'web→llm'],
      ['access-logs.v2', 'web→llm'],
      ['access-logs.v2', 'web→llm'],
    ]);
    const value = later.messages[1]?.value as Buffer;
    expect(AccessLogRecord.decode(value)).toEqual(expectedRecord);
    expect(stream.logName).toBe('mesh');
  });

  it('sends a malformed entry to the DLQ as its original bytes, with the reason', () => {
    const stream = new AlsStream({ metrics: metrics(), record: {} });
    const bad = HTTPAccessLogEntry.fromPartial({ request: { path: '/x' } });
    const raw = message({ identifier, httpLogs: { logEntry: [bad] } });
    const [letter] = stream.handle(raw).messages;
    expect(letter).toEqual({
      topic: 'access-logs.dlq.v1',
      key: 'envoy-web-1',
      value: Buffer.from(HTTPAccessLogEntry.encode(bad).finish()),
      reason: 'missing_common_properties',
      headers: {
        'meshgraph-reason': 'missing_common_properties',
        'meshgraph-message': 'entry has no common_properties',
        'meshgraph-value-type': 'envoy.data.accesslog.v3.HTTPAccessLogEntry',
        'meshgraph-node': 'envoy-web-1',
      },
    });
    expect(sizeOf(letter as never)).toBeGreaterThan(64);
  });

  it('dead-letters an undecodable entry alone and keeps its neighbours', () => {
    const good = HTTPAccessLogEntry.encode(fullEntry()).finish();
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]); // length past the end
    // http_logs (field 2) holding three log_entry (field 1) byte strings, built by hand.
    const entries = Buffer.concat(
      [good, garbage, good].map((b) =>
        Buffer.concat([Buffer.from([0x0a]), encodeLength(b.length), b]),
      ),
    );
    const raw = Buffer.concat([Buffer.from([0x12]), encodeLength(entries.length), entries]);
    expect(splitMessage(raw).http).toHaveLength(3);
    const { messages } = new AlsStream({ metrics: metrics(), record: {} }).handle(raw);
    expect(messages.map((m) => m.reason ?? m.key)).toEqual([
      'from-header→llm',
      'undecodable_entry',
      'from-header→llm',
    ]);
    expect(messages[1]?.value).toEqual(Buffer.from(garbage));
    expect(messages[1]?.headers?.['meshgraph-message']).toMatch(
      /^HTTPAccessLogEntry is not valid protobuf: /,
    );
  });

  it('refuses a stream whose first message is not protobuf, dead-lettering the message', () => {
    const raw = Uint8Array.from([0x0a, 0x05, 0x01]);
    const { messages, fatal } = new AlsStream({ metrics: metrics(), record: {} }).handle(raw);
    expect(fatal).toMatch(/^StreamAccessLogsMessage is not valid protobuf: /);
    expect(messages.map((m) => [m.reason, m.headers?.['meshgraph-value-type']])).toEqual([
      ['undecodable_message', 'envoy.service.accesslog.v3.StreamAccessLogsMessage'],
    ]);
  });

  it('counts TCP entries as received and ignored', async () => {
    const registry = new Registry();
    const m = new CollectorMetrics(registry, () => ({ records: 0, bytes: 0 }));
    const out = new AlsStream({ metrics: m, record: {} }).handle(
      message({ tcpLogs: { logEntry: [{}, {}] } }),
    );
    expect(out.messages).toEqual([]);
    const text = await registry.metrics();
    expect(text).toContain('meshgraph_collector_entries_received_total{kind="tcp"} 2');
    expect(text).toContain('meshgraph_collector_entries_ignored_total{reason="tcp_entry"} 2');
  });

  it('builds edge keys with the arrow', () => {
    expect(edgeKey('a', 'b')).toBe('a→b');
  });
});

function encodeLength(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
