import { createHash } from 'node:crypto';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Any } from '../../schemas/gen/envoy/google/protobuf/any.ts';
import type { Duration } from '../../schemas/gen/envoy/google/protobuf/duration.ts';

/** What every ts-proto message object (`Cluster`, `Router`, …) offers: enough to serialize it. */
export interface Encoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** The prefix Envoy (and every protobuf runtime) expects in front of a message's full name. */
export const typeUrlPrefix = 'type.googleapis.com/';

/**
 * Serializes `message` with its generated codec. ts-proto writes fields in a fixed order
 * and map entries in insertion order, so objects built in a fixed order give identical bytes.
 */
export function encode<T>(codec: Encoder<T>, message: T): Uint8Array {
  return codec.encode(message).finish();
}

/**
 * Packs a message into `google.protobuf.Any`, the envelope of every nested `typed_config`.
 * `typeName` is the message's full protobuf name (e.g.
 * `envoy.extensions.filters.http.router.v3.Router`); ts-proto does not record it on the codec,
 * so callers name it next to the codec they pass.
 */
export function packAny<T>(typeName: string, codec: Encoder<T>, message: T): Any {
  const bytes = encode(codec, message);
  // Any.value is typed Buffer (ts-proto env=node); wrap without copying.
  return Any.fromPartial({
    typeUrl: typeUrlPrefix + typeName,
    value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  });
}

/**
 * Length of {@link contentHash}: 16 hex characters = 64 bits of SHA-256. A version only has to
 * differ from the other versions of the same resource (or set); with 64 bits the odds that any
 * two of a million versions collide are about 3e-8, while the strings stay short in logs,
 * metric labels and Envoy's config dump.
 */
export const contentHashLength = 16;

/** Hex SHA-256 of `data` (bytes, or a string hashed as UTF-8), truncated to {@link contentHashLength}. */
export function contentHash(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, contentHashLength);
}

/** Milliseconds (the mesh config's unit) as a protobuf Duration. */
export function durationMs(ms: number): Duration {
  // Round once, on the total: rounding the remainder alone could yield nanos = 1e9 (invalid).
  const total = Math.round(ms * 1_000_000);
  const seconds = Math.floor(total / 1_000_000_000);
  return { seconds, nanos: total - seconds * 1_000_000_000 };
}
