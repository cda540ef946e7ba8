/**
 * The collector's gRPC side: Envoy's AccessLogService (StreamAccessLogs, a client stream that
 * never expects an answer). Each stream's messages become Kafka messages pushed to the batcher;
 * when it is full the stream stops reading (`call.pause()`), so HTTP/2 flow control pushes back
 * on Envoy, which buffers and finally drops on its side (ALS is lossy by design). Nothing here
 * queues without bound: past the batcher's bound, a paused stream holds at most what gRPC already
 * read for it (Node's stream buffer: 16 messages of at most 4 MiB, gRPC's default limit).
 */

import {
  Server as GrpcServer,
  ServerCredentials,
  type ServerReadableStream,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../../lib/log.ts';
import { AccessLogServiceService } from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';
import { AlsStream } from './als-stream.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { OutMessage } from './producer.ts';
import type { RecordOptions } from './record.ts';

/** What the server pushes into: the batcher. */
export interface MessageSink {
  push(items: readonly OutMessage[]): boolean;
  whenRoom(): Promise<void>;
}

// The generated definition, except that messages arrive as raw bytes: AlsStream splits them
// itself so one bad entry does not cost the whole message.
const rawDefinition = {
  streamAccessLogs: {
    ...AccessLogServiceService.streamAccessLogs,
    requestDeserialize: (value: Buffer): Buffer => value,
  },
} as unknown as ServiceDefinition;

/**
 * Options for {@link startAlsServer}.
 * - `address` (string, required): `host:port` to listen on; port 0 picks one.
 * - `sink` (MessageSink, required): where Kafka messages go (the batcher).
 * - `metrics` (CollectorMetrics, required), `log` (Logger, required).
 * - `record` (RecordOptions, default `{}`): how entries map to records (source header).
 */
export interface AlsServerOptions {
  address: string;
  sink: MessageSink;
  metrics: CollectorMetrics;
  log: Logger;
  record?: RecordOptions;
}

export interface AlsServer {
  readonly port: number;
  /**
   * Stops taking messages: new streams are refused, open ones are ended with UNAVAILABLE (Envoy
   * reconnects, to another collector if it has one). Messages already read are in the sink;
   * unread ones stay Envoy's (ALS does not acknowledge, so Envoy counts them as sent).
   * Forced after `graceMs` (default 1,000).
   */
  close(graceMs?: number): Promise<void>;
}

export async function startAlsServer(options: AlsServerOptions): Promise<AlsServer> {
  const { sink, metrics, log } = options;
  const open = new Set<() => void>();
  let closing = false;

  const streamAccessLogs = (
    call: ServerReadableStream<Buffer, unknown>,
    callback: (error: { code: number; details: string } | null, value?: object) => void,
  ) => {
    if (closing)
      return callback({ code: status.UNAVAILABLE, details: 'collector is shutting down' });
    const stream = new AlsStream({ metrics, record: options.record ?? {} });
    const peer = call.getPeer();
    let done = false;
    const finish = (error: { code: number; details: string } | null) => {
      if (done) return;
      done = true;
      open.delete(end);
      metrics.streams.dec();
      call.pause();
      callback(error, {});
    };
    const end = () => finish({ code: status.UNAVAILABLE, details: 'collector is shutting down' });
    open.add(end);
    metrics.streams.inc();

    call.on('data', (raw: Buffer) => {
      if (done) return;
      const { messages, fatal } = stream.handle(raw);
      const room = messages.length === 0 || sink.push(messages);
      if (fatal) {
        log.warn({ peer, reason: fatal }, 'ALS stream refused: unreadable identifier');
        return finish({ code: status.INVALID_ARGUMENT, details: fatal });
      }
      if (room) return;
      // Full: stop reading this stream until the batcher has room again.
      metrics.backpressurePauses.inc();
      call.pause();
      void sink.whenRoom().then(() => {
        if (!done) call.resume();
      });
    });
    call.on('end', () => finish(null));
    call.on('error', (error) => {
      log.debug({ peer, err: error }, 'ALS stream failed');
      finish(null);
    });
    call.on('cancelled', () => finish(null));
    log.debug({ peer }, 'ALS stream opened');
  };

  const server = new GrpcServer();
  server.addService(rawDefinition, { streamAccessLogs } as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.address, ServerCredentials.createInsecure(), (error, bound) => {
      if (!error) return resolve(bound);
      server.forceShutdown();
      reject(
        new Error(`collector: cannot listen for ALS on "${options.address}": ${error.message}`),
      );
    });
  });

  return {
    port,
    async close(graceMs = 1000) {
      closing = true;
      for (const end of [...open]) end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
