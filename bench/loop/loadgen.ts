/**
 * Child process: the open-loop load generator (demo/load/open-loop.ts) against Envoy's
 * listener, recording every result; it reports them all, as columns, once the run has ended
 * and nothing is in flight.
 */

import { setPriority } from 'node:os';
import { type OpenLoop, startOpenLoop } from '../../demo/load/open-loop.ts';
import { Recorder } from '../../demo/load/recorder.ts';
import { type FromLoad, serve, type ToLoad } from './protocol.ts';

let loop: OpenLoop | undefined;
const reply = (m: FromLoad) => process.send?.(m);

// The generator is the instrument: a little ahead of the measured processes in the CPU queue,
// its timers fire on time more often (the same in every arm). Refused without privilege: fine.
try {
  setPriority(-5);
} catch {}

// The driver gone (killed, Ctrl-C) means nobody will ask us to stop: leave, do not linger.
process.on('disconnect', () => process.exit(0));

serve<ToLoad>(async (message) => {
  switch (message.type) {
    case 'start': {
      const { spec } = message;
      const recorder = new Recorder();
      const url = new URL(spec.url);
      loop = startOpenLoop({
        ratePerSecond: spec.ratePerSecond,
        target: () => ({ url }),
        seed: spec.seed,
        timeoutMs: spec.timeoutMs,
        startAtMs: spec.startAtMs,
        durationMs: spec.durationMs,
        onResult: recorder.add,
      });
      reply({ type: 'started' });
      const summary = await loop.finished;
      return reply({ type: 'done', summary, columns: recorder.columns() });
    }
    case 'stop':
      await loop?.stop();
      process.exit(0);
  }
});
