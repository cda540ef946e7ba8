/** A complete Envoy HTTP access-log entry and the record the collector must map it to. */

import { RequestMethod } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import {
  AccessLogType,
  HTTPAccessLogEntry,
  HTTPAccessLogEntry_HTTPVersion,
} from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import type { StreamAccessLogsMessage_Identifier } from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';
import type { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';

export type Node = NonNullable<StreamAccessLogsMessage_Identifier['node']>;
export const node = (metadata?: Record<string, unknown>): Node =>
  ({ id: 'envoy-web-1', cluster: 'web', metadata, dynamicParameters: {} }) as unknown as Node;

/** A complete entry as Envoy logs a proxied LLM call from web to the llm cluster. */
export function fullEntry(): HTTPAccessLogEntry {
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

export const expectedRecord: AccessLogRecord = {
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

export const web = node({ service: 'web' });
