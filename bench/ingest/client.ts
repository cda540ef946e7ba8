/**
 * Child process: the synthetic ALS client. `streams` gRPC client streams (one per simulated
 * Envoy, each on its own channel, so its own HTTP/2 connection), fed open loop: every few
 * milliseconds it writes whatever the schedule says is due (`rate` records/s from `t0`), in
 * messages of at most `batch` entries, round-robin over the streams. It never waits for the
 * collector: if the collector falls behind, gRPC buffers (measured) and the lag shows it.
 */

import { performance } from 'node:perf_hooks';
import { Client, type ClientWritableStream, credentials } from '@grpc/grpc-js';
import { type FromClient, serve, type ToClient } from './protocol.ts';
import { entriesMessage, identifierMessage } from './workload.ts';

const alsPath = '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs';
const tickMs = 5;

interface Stream {
  client: Client;
  call: ClientWritableStream<Buffer>;
  finished: Promise<void>;
}

let streams: Stream[] = [];
let batch = 100;
const reply = (m: FromClient) => process.send?.(m);

function open(port: number, k: number): Stream {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  let call!: ClientWritableStream<Buffer>;
  const finished = new Promise<void>((resolve, reject) => {
    call = client.makeClientStreamRequest(
      alsPath,
      (b: Buffer) => b,
      (b: Buffer) => b,
      (error) => (error ? reject(error) : resolve()),
    );
  });
  finished.catch(() => {});
  call.write(Buffer.from(identifierMessage(k)));
  return { client, call, finished };
}

const pending = () => streams.reduce((n, s) => n + s.call.writableLength, 0);

async function go(t0: number, rate: number, durationMs: number): Promise<void> {
  const total = Math.floor((rate * durationMs) / 1000);
  let sent = 0;
  let messages = 0;
  let lateMaxMs = 0;
  let pendingMaxBytes = 0;
  let next = 0;
  while (Date.now() < t0) await new Promise((r) => setTimeout(r, 1));
  const elu = performance.eventLoopUtilization();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000));
      if (due > sent) lateMaxMs = Math.max(lateMaxMs, now - (t0 + (sent * 1000) / rate));
      while (sent < due) {
        const count = Math.min(batch, due - sent);
        const stream = streams[next++ % streams.length] as Stream;
        stream.call.write(Buffer.from(entriesMessage(sent, count, t0, rate)));
        sent += count;
        messages += 1;
      }
      pendingMaxBytes = Math.max(pendingMaxBytes, pending());
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  const busy = performance.eventLoopUtilization(elu).utilization;
  // Everything written must leave the process before the client reports done.
  while (pending() > 0) await new Promise((r) => setTimeout(r, 10));
  reply({ type: 'done', sent, messages, lateMaxMs, busy, pendingMaxBytes });
}

let stopping = false;
serve<ToClient>(async (message) => {
  switch (message.type) {
    case 'start':
      batch = message.batch;
      streams = Array.from({ length: message.streams }, (_, k) => open(message.port, k));
      return reply({ type: 'ready' });
    case 'go':
      return go(message.t0, message.rate, message.durationMs);
    case 'stop':
      if (stopping) return;
      stopping = true;
      for (const s of streams) s.call.end();
      await Promise.race([
        Promise.allSettled(streams.map((s) => s.finished)),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      for (const s of streams) s.client.close();
      process.exit(0);
  }
});
