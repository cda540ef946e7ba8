/**
 * Where a stream's protocol events go: metrics, sync status and the log, all optional but the log.
 */

import type { Logger } from '../../lib/log.ts';
import type { Resource, TypeUrl } from '../snapshot/types.ts';
import { type StreamEvents, typeName } from './events.ts';
import type { AdsMetrics } from './metrics.ts';
import type { StreamSync } from './sync-status.ts';

export function streamEvents(
  log: Logger,
  metrics: AdsMetrics | undefined,
  sync: StreamSync | undefined,
  onAck?: (type: TypeUrl, resources: readonly Resource[]) => void,
): StreamEvents {
  const label = (type: TypeUrl) => ({ type: typeName[type] });
  const unserved = new Set<string>();
  return {
    pushed(type, version, nonce, names) {
      metrics?.pushes.inc(label(type));
      sync?.pushed(type, version);
      log.debug({ ...label(type), version, nonce, resources: names }, 'xDS response sent');
    },
    acked(type, version, seconds, resources) {
      if (seconds !== undefined) metrics?.convergence.observe(label(type), seconds);
      if (resources) onAck?.(type, resources);
      sync?.acked(type, version);
      log.debug({ ...label(type), version, seconds }, 'xDS version acknowledged');
    },
    nacked(type, version, message, names) {
      metrics?.nacks.inc(label(type));
      sync?.nacked(type, version, message, names);
      // Envoy keeps its last good config; the version stays quarantined for this node.
      log.warn(
        { ...label(type), version, resources: names, error: message },
        'xDS version rejected (NACK)',
      );
    },
    stale(type, nonce) {
      metrics?.staleNonces.inc(label(type));
      log.debug({ ...label(type), nonce }, 'xDS request with a stale nonce ignored');
    },
    unserved(typeUrl) {
      if (unserved.has(typeUrl)) return;
      unserved.add(typeUrl);
      log.warn({ typeUrl }, 'xDS request for a type this server does not serve ignored');
    },
  };
}
