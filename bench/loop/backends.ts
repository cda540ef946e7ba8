/**
 * Child process: the loop benchmark's backends (backend.ts), `b0` … `b<n−1>`, each on a free
 * port, faults switched by the driver over IPC.
 */

import { clockMs } from '../../demo/load/open-loop.ts';
import { type RunningBackend, startBackend } from './backend.ts';
import { type FromBackends, serve, type ToBackends } from './protocol.ts';

let backends: RunningBackend[] = [];
const reply = (m: FromBackends) => process.send?.(m);

// The driver gone (killed, Ctrl-C) means nobody will ask us to stop: leave, do not linger.
process.on('disconnect', () => process.exit(0));

serve<ToBackends>(async (message) => {
  switch (message.type) {
    case 'start': {
      const { spec } = message;
      backends = await Promise.all(
        Array.from({ length: spec.count }, (_, i) =>
          startBackend({
            name: `b${i}`,
            medianMs: spec.medianMs,
            sigma: spec.sigma,
            workers: spec.workers,
            queue: spec.queue,
            seed: spec.seed * 1000 + i,
          }),
        ),
      );
      return reply({
        type: 'ready',
        names: backends.map((b) => b.name),
        ports: backends.map((b) => b.port),
      });
    }
    case 'fault': {
      const backend = backends[message.index];
      if (!backend) throw new Error(`no backend ${message.index}`);
      backend.setFault(message.fault);
      return reply({ type: 'fault-set', index: message.index, atMs: clockMs() });
    }
    case 'report':
      return reply({
        type: 'report',
        arrivals: backends.map((b) => b.arrivals()),
        counters: backends.map((b) => ({ ...b.counters })),
      });
    case 'stop':
      await Promise.allSettled(backends.map((b) => b.close()));
      process.exit(0);
  }
});
