/**
 * Child process: N simulated Envoys (envoy-stream.ts), one ADS stream each, spread round-robin
 * over ceil(N / perChannel) gRPC channels. Each channel gets `grpc.use_local_subchannel_pool`:
 * without it grpc-js pools subchannels process-wide by (address, options), so every channel to
 * the same server would share one subchannel, i.e. one HTTP/2 connection for all N streams.
 */

import { performance } from 'node:perf_hooks';
import { credentials } from '@grpc/grpc-js';
import type { ClusterLoadAssignment } from '../../schemas/gen/envoy/envoy/config/endpoint/v3/endpoint.ts';
import { AggregatedDiscoveryServiceClient } from '../../schemas/gen/envoy/envoy/service/discovery/v3/ads.ts';
import { SimulatedEnvoy, weightOf } from './envoy-stream.ts';
import { memory, now, serve, type ToClients } from './protocol.ts';

type Expectation = Extract<ToClients, { type: 'expect' }>;

const channels: AggregatedDiscoveryServiceClient[] = [];
const envoys: SimulatedEnvoy[] = [];
let expectation: Expectation | undefined;
let times = new BigInt64Array(0);
let received = 0;
let elu = performance.eventLoopUtilization();
let stopping = false;
const reply = (message: unknown) => process.send?.(message);

function fail(error: Error): void {
  if (!stopping) reply({ type: 'error', message: error.message });
}

/** Records stream `i`'s first EDS response carrying the expected weight. */
function onEndpoints(i: number, assignments: ClusterLoadAssignment[], at: bigint): void {
  const want = expectation;
  if (!want || times[i] !== 0n) return;
  const assignment = assignments.find((a) => a.clusterName === want.cluster);
  if (!assignment || weightOf(assignment, want.endpoint) !== want.weight) return;
  times[i] = at;
  received++;
  if (received < envoys.length) return;
  // Event-loop time this process was busy (grpc-js + decoding + ACKs) while the change arrived.
  const busyMs = performance.eventLoopUtilization(elu).active;
  reply({ type: 'received', change: want.change, times, busyMs });
}

function start(port: number, streams: number, perChannel: number): void {
  const started = performance.now();
  const count = Math.ceil(streams / perChannel);
  for (let c = 0; c < count; c++) {
    channels.push(
      new AggregatedDiscoveryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        // No per-message size surprises: a SotW EDS push carries every subscribed cluster.
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      }),
    );
  }
  let synced = 0;
  for (let i = 0; i < streams; i++) {
    const client = channels[i % count] as AggregatedDiscoveryServiceClient;
    const envoy = new SimulatedEnvoy(client, `xds-scale-envoy-${i}`, {
      synced: () => {
        synced++;
        if (synced === streams) {
          reply({ type: 'synced', ms: performance.now() - started, channels: count });
        }
      },
      endpoints: (assignments, at) => onEndpoints(i, assignments, at),
      failed: fail,
    });
    envoys.push(envoy);
  }
}

serve<ToClients>((message) => {
  switch (message.type) {
    case 'start':
      return start(message.port, message.streams, message.perChannel);
    case 'clock':
      return void reply({ type: 'clock', now: now() });
    case 'memory':
      return void reply({ type: 'memory', memory: memory() });
    case 'expect':
      expectation = message;
      times = new BigInt64Array(envoys.length);
      received = 0;
      elu = performance.eventLoopUtilization();
      return void reply({ type: 'expecting', change: message.change });
    case 'stop':
      stopping = true;
      for (const envoy of envoys) envoy.close();
      for (const channel of channels) channel.close();
      return process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
