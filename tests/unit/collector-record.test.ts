import { describe, expect, it } from 'vitest';
import { RequestMethod } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import {
  AccessLogType,
  HTTPAccessLogEntry,
  ResponseFlags,
  ResponseFlags_Unauthorized_Reason,
} from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { type MalformedReason, toRecord } from '../../stream-jobs/collector/record.ts';
import {
  allResponseFlagCodes,
  responseFlagCodes,
} from '../../stream-jobs/collector/response-flags.ts';
import { expectedRecord, fullEntry, type Node, node, web } from '../support/access-log-entry.ts';

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
