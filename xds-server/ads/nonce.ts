/**
 * Nonces for one stream. A random per-stream prefix keeps a nonce from one stream (or one replica)
 * from ever matching another's, so a request that outlived its stream can never pass for an ACK.
 */

import { randomBytes } from 'node:crypto';

/** Returns a function producing a fresh nonce on every call. */
export function nonceSource(): () => string {
  const prefix = randomBytes(6).toString('hex');
  let counter = 0;
  return () => `${prefix}-${++counter}`;
}
