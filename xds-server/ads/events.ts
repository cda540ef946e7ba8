/**
 * What the pure per-stream state machines (sotw.ts, delta.ts) need from outside, and what they
 * report: the transport, metrics and sync status hang off these callbacks, so the protocol logic
 * stays testable without gRPC, clocks or registries.
 */

import type { Any } from '../../schemas/gen/envoy/google/protobuf/any.ts';
import type { NodeIdentity } from '../snapshot/cache.ts';
import { type Resource, TypeUrl } from '../snapshot/types.ts';
import type { NodeHistory } from './node-history.ts';

/**
 * Told of every ACK with the resources it covered: how the loop-latency metric learns when an
 * Envoy holds the endpoints a routing decision produced.
 */
export type AckListener = (
  node: NodeIdentity,
  type: TypeUrl,
  resources: readonly Resource[],
) => void;

/** Short names for labels, logs and the sync-status document. */
export const typeName: Readonly<Record<TypeUrl, 'lds' | 'rds' | 'cds' | 'eds'>> = {
  [TypeUrl.listener]: 'lds',
  [TypeUrl.route]: 'rds',
  [TypeUrl.cluster]: 'cds',
  [TypeUrl.endpoint]: 'eds',
};

const served = new Set<string>(Object.values(TypeUrl));

/** Whether the server serves `typeUrl` (Envoy may also ask for secrets, runtime, …). */
export function isServedType(typeUrl: string): typeUrl is TypeUrl {
  return served.has(typeUrl);
}

/** `resource` as the Any a response carries; its bytes are shared, not copied. */
export function anyOf(resource: Resource): Any {
  const { bytes } = resource;
  const value = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { typeUrl: resource.typeUrl, value };
}

/** Protocol events of one stream. */
export interface StreamEvents {
  /** A response left for the client. `names` are the resources in it. */
  pushed(type: TypeUrl, version: string, nonce: string, names: readonly string[]): void;
  /**
   * The client holds `version`: it ACKed a response (`seconds` from push to ACK) or, on a new
   * stream, reported the version the server would have sent (`seconds` undefined).
   * `resources` are the ones the ACKed response carried (absent for a reported version).
   */
  acked(type: TypeUrl, version: string, seconds?: number, resources?: readonly Resource[]): void;
  /** The client rejected `version`; `message` is Envoy's error_detail.message. */
  nacked(type: TypeUrl, version: string, message: string, names: readonly string[]): void;
  /** A request answered a nonce that is not the latest one sent for its type; it was ignored. */
  stale(type: TypeUrl, nonce: string): void;
  /** A request for a type this server does not serve; it was ignored. */
  unserved(typeUrl: string): void;
}

/**
 * What a stream state machine is built with.
 * - `history` (NodeHistory, required): the node's memory across streams (quarantine, last good).
 * - `events` (StreamEvents, required): where protocol events go.
 * - `nonce` (() => string, required): a fresh nonce per call (see nonce.ts).
 * - `now` (() => number, default `performance.now`): milliseconds, for push→ACK durations.
 */
export interface StreamContext {
  readonly history: NodeHistory;
  readonly events: StreamEvents;
  readonly nonce: () => string;
  readonly now?: () => number;
}
