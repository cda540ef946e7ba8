/**
 * Child process: the xds-server alone (its memory is measured without the clients' or the
 * driver's). Started by run.ts over IPC (protocol.ts); logs at `warn` so the per-stream
 * "ADS stream opened" lines do not cost the measured process I/O.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/log.ts';
import { type RunningXdsServer, startXdsServer } from '../../xds-server/start.ts';
import { memory, now, serve, type ToServer } from './protocol.ts';
import { meshYaml } from './workload.ts';

let server: RunningXdsServer | undefined;
let dir: string | undefined;
const reply = (message: unknown) => process.send?.(message);

/** No stream waits for an EDS ACK: a push for the next change then leaves at once. */
async function settle(): Promise<number> {
  const started = performance.now();
  const running = server as RunningXdsServer;
  while (running.syncStatus.toJSON().nodes.some((n) => n.connected && n.types.eds.pending)) {
    if (performance.now() - started > 30_000) throw new Error('EDS ACKs still pending after 30 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

serve<ToServer>(async (message) => {
  switch (message.type) {
    case 'start': {
      dir = mkdtempSync(join(tmpdir(), 'xds-scale-'));
      const configFile = join(dir, 'mesh.yaml');
      writeFileSync(configFile, meshYaml(message.clusters, message.endpoints));
      server = await startXdsServer({
        configFile,
        grpcAddress: '127.0.0.1:0',
        adminPort: 0,
        log: createLogger('xds-scale-server', { level: 'warn' }),
      });
      return reply({ type: 'ready', grpcPort: server.grpcPort });
    }
    case 'clock':
      return reply({ type: 'clock', now: now() });
    case 'memory':
      return reply({ type: 'memory', memory: memory() });
    case 'apply': {
      const settleMs = await settle();
      const weights = new Map(message.weights);
      const t0 = now();
      const result = (server as RunningXdsServer).controlPlane.apply({
        kind: 'endpoint-weights',
        cluster: message.cluster,
        weights,
      });
      const t1 = now();
      if (!result.ok) throw new Error(`apply refused: ${JSON.stringify(result.error)}`);
      return reply({ type: 'applied', change: message.change, t0, t1, settleMs });
    }
    case 'stop':
      return stop();
  }
});
process.on('disconnect', () => void stop());
