/**
 * One ADS stream's gRPC plumbing: the first request names the node, which gets a pure state
 * machine (sotw.ts or delta.ts) fed with its requests and with the node's snapshots from the
 * watcher; whatever the machine returns is written to the stream. One stream = one node.
 */

import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import type { Logger } from '../../lib/log.ts';
import type { Node } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import type { NodeIdentity, SnapshotWatcher } from '../snapshot/cache.ts';
import type { Snapshot } from '../snapshot/types.ts';
import type { AckListener, StreamContext } from './events.ts';
import type { AdsMetrics } from './metrics.ts';
import type { NodeHistories } from './node-history.ts';
import { nonceSource } from './nonce.ts';
import { streamEvents } from './stream-events.ts';
import type { SyncStatus } from './sync-status.ts';

/** What every stream shares; `open` holds the streams now open (close() ends them). */
export interface StreamDeps {
  readonly watcher: SnapshotWatcher;
  readonly log: Logger;
  readonly metrics?: AdsMetrics | undefined;
  readonly syncStatus?: SyncStatus | undefined;
  readonly onAck?: AckListener | undefined;
  readonly histories: NodeHistories;
  readonly open: Set<ServerDuplexStream<unknown, unknown>>;
}

/** A per-stream protocol state machine. */
export interface Machine<Req, Res> {
  onRequest(request: Req): Res[];
  onSnapshot(snapshot: Snapshot): Res[];
}

type Request = { node?: Node | undefined };

/** The handler for one bidi ADS method; `method` names it in errors. */
export function serveStream<Req extends Request, Res>(
  deps: StreamDeps,
  kind: 'sotw' | 'delta',
  method: string,
  create: (ctx: StreamContext) => Machine<Req, Res>,
) {
  const { watcher, log, metrics, syncStatus, histories, open, onAck } = deps;
  return (call: ServerDuplexStream<Req, Res>) => {
    let machine: Machine<Req, Res> | undefined;
    let stop: (() => void) | undefined;
    let streamLog = log.child({ stream: kind, peer: call.getPeer() });
    open.add(call as ServerDuplexStream<unknown, unknown>);

    const write = (responses: Res[]) => {
      for (const response of responses) call.write(response);
    };
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      open.delete(call as ServerDuplexStream<unknown, unknown>);
      if (!stop) return;
      stop();
      metrics?.connectedNodes.dec();
      streamLog.info('ADS stream closed');
    };
    const fail = (code: status, details: string) => {
      streamLog.error({ code: status[code] }, details);
      close();
      call.emit('error', { code, details });
    };
    const guarded = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        fail(status.INTERNAL, `${method}: ${what} failed: ${(error as Error).message}`);
      }
    };

    call.on('data', (request: Req) => {
      if (closed) return;
      if (!machine) {
        const node = request.node;
        if (!node?.id) {
          const got = JSON.stringify(node?.id ?? null);
          return fail(
            status.INVALID_ARGUMENT,
            `${method}: the first request must carry node.id, got ${got}`,
          );
        }
        const identity: NodeIdentity = {
          id: node.id,
          cluster: node.cluster,
          userAgentName: node.userAgentName,
          metadata: node.metadata,
        };
        streamLog = streamLog.child({ node: node.id });
        const sync = syncStatus?.connect(identity, kind);
        const events = streamEvents(streamLog, metrics, sync, (type, resources) =>
          onAck?.(identity, type, resources),
        );
        const created = create({ history: histories.get(node.id), events, nonce: nonceSource() });
        machine = created;
        let unwatch = () => {};
        stop = () => {
          unwatch();
          sync?.disconnected();
        };
        metrics?.connectedNodes.inc();
        streamLog.info({ cluster: node.cluster }, 'ADS stream opened');
        // The watcher calls back at once when a snapshot exists, possibly failing the stream.
        unwatch = watcher.watch(identity, (snapshot) =>
          guarded('applying a snapshot', () => write(created.onSnapshot(snapshot))),
        );
        if (closed) return unwatch();
      }
      const current = machine;
      guarded('handling a request', () => write(current.onRequest(request)));
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('error', (error: Error) => {
      streamLog.debug({ err: error }, 'ADS stream error');
      close();
    });
    call.on('close', close);
  };
}
