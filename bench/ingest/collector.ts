/**
 * Child process: the collector alone (ALS gRPC in, Kafka out), with its default bounds, logging
 * at `warn`. Started by run.ts over IPC (protocol.ts).
 */

import { createLogger } from '../../lib/log.ts';
import { type RunningCollector, startCollector } from '../../stream-jobs/collector/start.ts';
import { serve, type ToCollector } from './protocol.ts';

const log = createLogger('bench-collector', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
let collector: RunningCollector | undefined;
let stopping = false;

serve<ToCollector>(async (message) => {
  if (message.type === 'start') {
    collector = await startCollector({
      brokers: message.brokers,
      grpcAddress: '127.0.0.1:0',
      adminPort: 0,
      log,
    });
    process.send?.({ type: 'ready', grpcPort: collector.grpcPort, adminPort: collector.adminPort });
  } else if (message.type === 'stop' && !stopping) {
    stopping = true;
    await collector?.close();
    process.exit(0);
  }
});
