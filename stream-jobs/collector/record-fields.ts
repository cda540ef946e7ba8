/**
 * The field rules behind toRecord (record.ts), one group of entry fields per function. Each
 * returns its values or a MalformedEntry whose message names the field and the wrong value.
 */

import type { Address } from '../../schemas/gen/envoy/envoy/config/core/v3/address.ts';
import { type Node, RequestMethod } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import type { AccessLogCommon } from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import type { Duration } from '../../schemas/gen/envoy/google/protobuf/duration.ts';

/** Stable codes: the DLQ `reason` header and the metrics' `reason` label. */
export type MalformedReason =
  | 'undecodable_entry'
  | 'missing_common_properties'
  | 'missing_start_time'
  | 'negative_duration'
  | 'invalid_status'
  | 'invalid_service_name'
  | 'invalid_llm_usage';

export interface MalformedEntry {
  kind: 'malformed';
  reason: MalformedReason;
  message: string;
}

export const malformed = (reason: MalformedReason, message: string): MalformedEntry => ({
  kind: 'malformed',
  reason,
  message,
});

/** The source of requests nobody vouched for: traffic entering the mesh. */
export const ingressSource = 'ingress';

/** Response headers an LLM backend sets to report its model and token usage. */
export const llmHeaders = {
  model: 'x-meshgraph-model',
  promptTokens: 'x-meshgraph-prompt-tokens',
  completionTokens: 'x-meshgraph-completion-tokens',
} as const;

type Headers = { [key: string]: string };

/** Total duration (Envoy's `duration`, else time to last downstream byte) and upstream time. */
export function timings(
  common: AccessLogCommon,
): { durationUs: number; upstreamDurationUs: number } | MalformedEntry {
  const fields: Record<string, Duration | undefined> = {
    duration: common.duration ?? common.timeToLastDownstreamTxByte,
    time_to_first_upstream_tx_byte: common.timeToFirstUpstreamTxByte,
    time_to_last_upstream_rx_byte: common.timeToLastUpstreamRxByte,
  };
  for (const [field, value] of Object.entries(fields)) {
    if (value && (value.seconds < 0 || value.nanos < 0))
      return malformed(
        'negative_duration',
        `common_properties.${field} is negative (${value.seconds}s ${value.nanos}ns)`,
      );
  }
  const { duration, time_to_first_upstream_tx_byte: firstTx } = fields;
  const lastRx = fields.time_to_last_upstream_rx_byte;
  const upstreamDurationUs = firstTx && lastRx ? micros(lastRx) - micros(firstTx) : 0;
  if (upstreamDurationUs < 0)
    return malformed(
      'negative_duration',
      'common_properties.time_to_last_upstream_rx_byte is before time_to_first_upstream_tx_byte',
    );
  return { durationUs: duration ? micros(duration) : 0, upstreamDurationUs };
}

/**
 * The calling service: the node's metadata `service`, else the request header, else "ingress".
 * Empty values count as absent. Names become graph nodes and halves of the edge key, so the
 * arrow and control characters are refused (they would make a key ambiguous or unprintable).
 */
export function sourceService(
  node: Node | undefined,
  requestHeaders: Headers,
  sourceHeader: string,
): string | MalformedEntry {
  const fromNode = node?.metadata?.service as unknown;
  if (fromNode !== undefined && fromNode !== '') {
    if (typeof fromNode !== 'string')
      return malformed(
        'invalid_service_name',
        `node metadata 'service' must be a string, got ${typeof fromNode}`,
      );
    return checkedName(fromNode, "source (node metadata 'service')");
  }
  const fromHeader = header(requestHeaders, sourceHeader);
  if (fromHeader !== undefined) return checkedName(fromHeader, `source (header ${sourceHeader})`);
  return ingressSource;
}

/**
 * The calling instance ("host:port"): the node's metadata `instance`, else the request header,
 * else empty. Optional enrichment (it feeds graph-aware routing), so a value that is not a clean
 * name is left out rather than costing the record.
 */
export function sourceInstance(
  node: Node | undefined,
  requestHeaders: Headers,
  instanceHeader: string,
): string {
  const fromNode = node?.metadata?.instance as unknown;
  const value =
    typeof fromNode === 'string' && fromNode !== ''
      ? fromNode
      : (header(requestHeaders, instanceHeader) ?? '');
  const checked = checkedName(value, 'source instance');
  return typeof checked === 'string' ? checked : '';
}

export function checkedName(name: string, what: string): string | MalformedEntry {
  if (name.length > 253)
    return malformed('invalid_service_name', `${what} is longer than 253 characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[→\u0000-\u001f\u007f]/.test(name))
    return malformed(
      'invalid_service_name',
      `${what} '${name}' contains '→' or a control character`,
    );
  return name;
}

/** Model and token counts from the LLM response headers; absent headers read as ""/0. */
export function llmUsage(
  responseHeaders: Headers,
): { model: string; promptTokens: number; completionTokens: number } | MalformedEntry {
  const counts: number[] = [];
  for (const name of [llmHeaders.promptTokens, llmHeaders.completionTokens]) {
    const text = header(responseHeaders, name);
    const n = text === undefined ? 0 : /^\d{1,10}$/.test(text) ? Number(text) : -1;
    if (n < 0 || n > 0xffffffff)
      return malformed(
        'invalid_llm_usage',
        `response header ${name} '${text}' is not an integer 0..4294967295`,
      );
    counts.push(n);
  }
  const [promptTokens = 0, completionTokens = 0] = counts;
  return { model: header(responseHeaders, llmHeaders.model) ?? '', promptTokens, completionTokens };
}

export function micros(d: Duration): number {
  return d.seconds * 1_000_000 + Math.trunc(d.nanos / 1000);
}

/** A logged header's value, "" read as absent. Envoy keys them by the configured name. */
export function header(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  const value =
    headers[lower] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === lower)?.[1];
  return value === '' ? undefined : value;
}

/** "GET", "POST", …; "" for METHOD_UNSPECIFIED (Envoy's answer for methods it has no name for). */
export function methodName(method: RequestMethod | undefined): string {
  if (method === undefined || method === RequestMethod.METHOD_UNSPECIFIED) return '';
  return RequestMethod[method] ?? '';
}

/** "host:port" ("[v6]:port" for IPv6), a pipe's path, or "" when Envoy picked no endpoint. */
export function formatAddress(address: Address | undefined): string {
  const socket = address?.socketAddress;
  if (socket) {
    const host = socket.address.includes(':') ? `[${socket.address}]` : socket.address;
    return socket.portValue === undefined ? host : `${host}:${socket.portValue}`;
  }
  return address?.pipe?.path ?? '';
}
