import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestMethod } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import {
  AccessLogType,
  HTTPAccessLogEntry,
  HTTPAccessLogEntry_HTTPVersion,
  ResponseFlags,
  ResponseFlags_Unauthorized_Reason,
} from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import {
  type DeepPartial,
  StreamAccessLogsMessage,
  type StreamAccessLogsMessage_Identifier,
} from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { AlsStream, splitMessage } from '../../stream-jobs/collector/als-stream.ts';
import { CollectorMetrics } from '../../stream-jobs/collector/metrics.ts';
import { sizeOf } from '../../stream-jobs/collector/producer.ts';
import { edgeKey, type MalformedReason, toRecord } from '../../stream-jobs/collector/record.ts';
import {
  allResponseFlagCodes,
  responseFlagCodes,
} from '../../stream-jobs/collector/response-flags.ts';

type Node = NonNullable<StreamAccessLogsMessage_Identifier['node']>;
const node = (metadata?: Record<string, unknown>): Node =>
  ({ id: 'envoy-web-1', cluster: 'web', metadata, dynamicParameters: {} }) as unknown as Node;

/** A complete entry as Envoy logs a proxied LLM call from web to the llm cluster. */
function fullEntry(): HTTPAccessLogEntry {
  return HTTPAccessLogEntry.fromPartial({
    protocolVersion: HTTPAccessLogEntry_HTTPVersion.HTTP11,
    commonProperties: {
      startTime: { seconds: 1_700_000_000, nanos: 123_456_789 },
      duration: { seconds: 1, nanos: 250_000_999 },
      timeToLastDownstreamTxByte: { seconds: 9, nanos: 0 }, // ignored: `duration` is there
      timeToFirstUpstreamTxByte: { seconds: 0, nanos: 2_000_000 },
      timeToLastUpstreamRxByte: { seconds: 1, nanos: 202_500_000 },
      upstreamRemoteAddress: { socketAddress: { address: '10.0.0.7', portValue: 8080 } },
      upstreamCluster: 'llm',
      routeName: 'chat',
      responseFlags: { upstreamConnectionFailure: true, upstreamRetryLimitExceeded: true },
      accessLogType: AccessLogType.DownstreamEnd,
    },
    request: {
      requestMethod: RequestMethod.POST,
      scheme: 'http',
      authority: 'llm.mesh',
      path: '/v1/chat?x=1',
      requestId: '6f1c-42',
      requestBodyBytes: 512,
      requestHeadersBytes: 99, // not counted: bytes are body bytes, like %BYTES_RECEIVED%
      requestHeaders: { 'x-meshgraph-source': 'from-header' },
    },
    response: {
      responseCode: 503,
      responseBodyBytes: 2048,
      responseHeaders: {
        'x-meshgraph-model': 'llama-3-8b',
        'x-meshgraph-prompt-tokens': '120',
        'x-meshgraph-completion-tokens': '4294967295',
      },
    },
  });
}

const expectedRecord: AccessLogRecord = {
  startTimeUs: 1_700_000_000_123_456,
  sourceService: 'web',
  destinationCluster: 'llm',
  upstreamEndpoint: '10.0.0.7:8080',
  route: 'chat',
  method: 'POST',
  authority: 'llm.mesh',
  path: '/v1/chat?x=1',
  status: 503,
  responseFlags: 'UF,URX',
  durationUs: 1_250_000,
  upstreamDurationUs: 1_200_500,
  requestBytes: 512,
  responseBytes: 2048,
  requestId: '6f1c-42',
  nodeId: 'envoy-web-1',
  model: 'llama-3-8b',
  promptTokens: 120,
  completionTokens: 4294967295,
  sourceInstance: '',
};

const web = node({ service: 'web' });

function mapped(entry: HTTPAccessLogEntry, n: Node | undefined) {
  const result = toRecord(entry, n);
  if (result.kind !== 'record') throw new Error(`expected a record, got ${JSON.stringify(result)}`);
  return result;
}

function edit(change: (entry: HTTPAccessLogEntry) => void): HTTPAccessLogEntry {
  const entry = fullEntry();
  change(entry);
  return entry;
}

describe('toRecord: mapping', () => {
  it('maps a full entry to the exact record, keyed by the edge', () => {
    // Through the wire first, as the collector sees it.
    const wire = HTTPAccessLogEntry.decode(HTTPAccessLogEntry.encode(fullEntry()).finish());
    const { record, key } = mapped(wire, web);
    expect(record).toEqual(expectedRecord);
    expect(key).toBe('web→llm');
    // The key is UTF-8 with U+2192 between the halves: e2 86 92.
    expect(Buffer.from(key).toString('hex')).toBe(
      `${Buffer.from('web').toString('hex')}e28692${Buffer.from('llm').toString('hex')}`,
    );
  });

  it('encodes records that decode to the same value', () => {
    const bytes = AccessLogRecord.encode(mapped(fullEntry(), web).record).finish();
    expect(AccessLogRecord.decode(bytes)).toEqual(expectedRecord);
    // Field 1 (start_time_us, varint) comes first; field 2 is the source string.
    expect(bytes[0]).toBe(0x08);
    expect(
      AccessLogRecord.decode(AccessLogRecord.encode(AccessLogRecord.fromPartial({})).finish()),
    ).toEqual(AccessLogRecord.fromPartial({}));
  });

  it('takes the calling instance from node metadata, else its header, else none', () => {
    const withHeader = edit((e) => {
      if (e.request)
        e.request.requestHeaders = {
          'x-meshgraph-source': 'web',
          'X-Meshgraph-Source-Instance': '10.1.0.5:8080',
        };
    });
    expect(mapped(withHeader, web).record.sourceInstance).toBe('10.1.0.5:8080');
    expect(
      mapped(withHeader, node({ service: 'web', instance: '10.9.9.9:80' })).record.sourceInstance,
    ).toBe('10.9.9.9:80');
    expect(mapped(fullEntry(), web).record.sourceInstance).toBe('');
    // Optional enrichment: a value that is no clean name is left out, the record kept.
    const bad = edit((e) => {
      if (e.request) e.request.requestHeaders = { 'x-meshgraph-source-instance': 'a\u0001b' };
    });
    expect(mapped(bad, web).record.sourceInstance).toBe('');
    const custom = toRecord(withHeader, web, { sourceInstanceHeader: 'x-other' });
    expect(custom.kind === 'record' && custom.record.sourceInstance).toBe('');
  });

  it('takes the source from node metadata, else the request header, else "ingress"', () => {
    expect(mapped(fullEntry(), node({ service: 'web' })).record.sourceService).toBe('web');
    expect(mapped(fullEntry(), node({ service: '' })).record.sourceService).toBe('from-header');
    expect(mapped(fullEntry(), node()).record.sourceService).toBe('from-header');
    expect(mapped(fullEntry(), undefined).record.sourceService).toBe('from-header');
    const noHeader = edit((e) => {
      if (e.request) e.request.requestHeaders = {};
    });
    const { record, key } = mapped(noHeader, undefined);
    expect([record.sourceService, record.nodeId, key]).toEqual(['ingress', '', 'ingress→llm']);
    // A configured header, matched whatever its case in the log.
    const custom = edit((e) => {
      if (e.request) e.request.requestHeaders = { 'X-Caller': 'billing' };
    });
    const byCustom = toRecord(custom, undefined, { sourceHeader: 'x-caller' });
    expect(byCustom.kind === 'record' && byCustom.key).toBe('billing→llm');
  });

  it('writes response flags as Envoy short codes in Envoy order', () => {
    expect(responseFlagCodes(undefined)).toBe('');
    expect(responseFlagCodes(ResponseFlags.fromPartial({}))).toBe('');
    expect(
      responseFlagCodes(
        ResponseFlags.fromPartial({
          upstreamRetryLimitExceeded: true,
          noHealthyUpstream: true,
          localReset: true,
        }),
      ),
    ).toBe('UH,LR,URX');
    expect(
      responseFlagCodes(
        ResponseFlags.fromPartial({
          unauthorizedDetails: { reason: ResponseFlags_Unauthorized_Reason.EXTERNAL_SERVICE },
        }),
      ),
    ).toBe('UAEX');
    const all = ResponseFlags.fromPartial({ unauthorizedDetails: {} });
    for (const field of Object.keys(all) as Array<keyof ResponseFlags>)
      if (field !== 'unauthorizedDetails')
        (all as unknown as Record<string, boolean>)[field] = true;
    expect(responseFlagCodes(all)).toBe(
      'LH,UH,UT,LR,UR,UF,UC,UO,NR,DI,FI,RL,UAEX,RLSE,DC,URX,SI,IH,DPE,UMSDR,RFCF,NFCF,DT,UPE,NC,OM,DF,DRR',
    );
    expect(allResponseFlagCodes).toHaveLength(28);
  });

  it('leaves LLM fields empty when the backend reported none', () => {
    const plain = edit((e) => {
      if (e.response) e.response.responseHeaders = {};
    });
    const { record } = mapped(plain, web);
    expect([record.model, record.promptTokens, record.completionTokens]).toEqual(['', 0, 0]);
  });

  it('keeps a request routed nowhere as a record with an empty destination', () => {
    const noRoute = HTTPAccessLogEntry.fromPartial({
      commonProperties: {
        startTime: { seconds: 1, nanos: 0 },
        responseFlags: { noRouteFound: true },
      },
      request: { requestMethod: RequestMethod.METHOD_UNSPECIFIED, path: '/nowhere' },
      response: { responseCode: 404 },
    });
    const { record, key } = mapped(noRoute, web);
    expect(key).toBe('web→');
    expect(record).toEqual(
      AccessLogRecord.fromPartial({
        startTimeUs: 1_000_000,
        sourceService: 'web',
        path: '/nowhere',
        status: 404,
        responseFlags: 'NR',
        nodeId: 'envoy-web-1',
      }),
    );
  });

  it('formats IPv6 endpoints and falls back to time-to-last-byte for the duration', () => {
    const entry = edit((e) => {
      if (!e.commonProperties) return;
      e.commonProperties.upstreamRemoteAddress = {
        socketAddress: {
          address: '::1',
          portValue: 9,
          protocol: 0,
          resolverName: '',
          ipv4Compat: false,
        },
      };
      e.commonProperties.duration = undefined;
    });
    const { record } = mapped(entry, web);
    expect(record.upstreamEndpoint).toBe('[::1]:9');
    expect(record.durationUs).toBe(9_000_000);
  });

  it('ignores entries that are not a finished request', () => {
    const intermediate = edit((e) => {
      if (e.commonProperties) e.commonProperties.intermediateLogEntry = true;
    });
    const started = edit((e) => {
      if (e.commonProperties) e.commonProperties.accessLogType = AccessLogType.DownstreamStart;
    });
    for (const entry of [intermediate, started])
      expect(toRecord(entry, undefined)).toEqual({ kind: 'ignored', reason: 'not_request_end' });
  });
});

describe('toRecord: malformed entries, each with its reason', () => {
  const cases: Array<[string, HTTPAccessLogEntry, Node | undefined, MalformedReason, string]> = [
    [
      'no common properties',
      HTTPAccessLogEntry.fromPartial({}),
      undefined,
      'missing_common_properties',
      'entry has no common_properties',
    ],
    [
      'no start time',
      edit((e) => {
        if (e.commonProperties) e.commonProperties.startTime = undefined;
      }),
      undefined,
      'missing_start_time',
      'common_properties.start_time is missing or not after 1970-01-01T00:00:00Z',
    ],
    [
      'start time at the epoch',
      edit((e) => {
        if (e.commonProperties) e.commonProperties.startTime = { seconds: 0, nanos: 0 };
      }),
      undefined,
      'missing_start_time',
      'common_properties.start_time is missing or not after 1970-01-01T00:00:00Z',
    ],
    [
      'negative duration',
      edit((e) => {
        if (e.commonProperties) e.commonProperties.duration = { seconds: -1, nanos: 0 };
      }),
      undefined,
      'negative_duration',
      'common_properties.duration is negative (-1s 0ns)',
    ],
    [
      'upstream end before start',
      edit((e) => {
        if (e.commonProperties)
          e.commonProperties.timeToLastUpstreamRxByte = { seconds: 0, nanos: 1_000_000 };
      }),
      undefined,
      'negative_duration',
      'common_properties.time_to_last_upstream_rx_byte is before time_to_first_upstream_tx_byte',
    ],
    [
      'status out of range',
      edit((e) => {
        if (e.response) e.response.responseCode = 1000;
      }),
      undefined,
      'invalid_status',
      'response.response_code 1000 is not a 3-digit HTTP status',
    ],
    [
      'two-digit status',
      edit((e) => {
        if (e.response) e.response.responseCode = 42;
      }),
      undefined,
      'invalid_status',
      'response.response_code 42 is not a 3-digit HTTP status',
    ],
    [
      'arrow in the source header',
      edit((e) => {
        if (e.request) e.request.requestHeaders = { 'x-meshgraph-source': 'a→b' };
      }),
      undefined,
      'invalid_service_name',
      "source (header x-meshgraph-source) 'a→b' contains '→' or a control character",
    ],
    [
      'non-string node service',
      fullEntry(),
      node({ service: 7 }),
      'invalid_service_name',
      "node metadata 'service' must be a string, got number",
    ],
    [
      'control character in the cluster',
      edit((e) => {
        if (e.commonProperties) e.commonProperties.upstreamCluster = 'llm\n';
      }),
      undefined,
      'invalid_service_name',
      "common_properties.upstream_cluster 'llm\n' contains '→' or a control character",
    ],
    [
      'source too long',
      fullEntry(),
      node({ service: 'x'.repeat(254) }),
      'invalid_service_name',
      "source (node metadata 'service') is longer than 253 characters",
    ],
    [
      'tokens not a number',
      edit((e) => {
        if (e.response) e.response.responseHeaders['x-meshgraph-prompt-tokens'] = 'abc';
      }),
      undefined,
      'invalid_llm_usage',
      "response header x-meshgraph-prompt-tokens 'abc' is not an integer 0..4294967295",
    ],
    [
      'tokens past uint32',
      edit((e) => {
        if (e.response) e.response.responseHeaders['x-meshgraph-completion-tokens'] = '4294967296';
      }),
      undefined,
      'invalid_llm_usage',
      "response header x-meshgraph-completion-tokens '4294967296' is not an integer 0..4294967295",
    ],
  ];
  it.each(cases)('%s', (_name, entry, n, reason, message) => {
    expect(toRecord(entry, n)).toEqual({ kind: 'malformed', reason, message });
  });
});

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
