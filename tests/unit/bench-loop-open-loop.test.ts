/**
 * The open-loop generator (demo/load/open-loop.ts) against a local HTTP server: it keeps
 * sending while responses stall, and measures each latency from the intended send time, so a
 * stall (of the server, or of the generator's own event loop) shows in full.
 */

import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../demo/fleet/service.ts';
import { clockMs, startOpenLoop } from '../../demo/load/open-loop.ts';
import { Recorder } from '../../demo/load/recorder.ts';

let server: http.Server | undefined;
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  return `http://127.0.0.1:${await listen(server, 0)}/`;
}

describe('open-loop generator', () => {
  it('keeps sending through a stall; latency runs from the intended time to the answer', async () => {
    const start = clockMs() + 50;
    const stallFrom = start + 200;
    const stallTo = start + 600;
    const held: http.ServerResponse[] = [];
    const url = await serve((req, res) => {
      req.resume();
      res.setHeader('x-backend', 'only');
      if (clockMs() >= stallFrom && clockMs() < stallTo) return void held.push(res);
      res.end('ok');
    });
    setTimeout(() => {
      for (const res of held) res.end('ok');
    }, stallTo - clockMs());
    const recorder = new Recorder();
    const loop = startOpenLoop({
      ratePerSecond: 200,
      target: () => ({ url }),
      startAtMs: start,
      durationMs: 800,
      seed: 5,
      onResult: recorder.add,
    });
    const summary = await loop.finished;
    const c = recorder.columns();
    expect(summary.sent).toBe(recorder.size);
    expect(summary.failed).toBe(0);
    expect(c.upstreams).toEqual(['only']);
    const during = [...c.intendedMs.keys()].filter(
      (i) =>
        (c.intendedMs[i] as number) >= stallFrom + 20 && (c.intendedMs[i] as number) < stallTo - 20,
    );
    // Open loop: ~200/s × 0.36 s were sent during the stall, not one.
    expect(during.length).toBeGreaterThan(40);
    for (const i of during) {
      const expected = stallTo - (c.intendedMs[i] as number);
      expect(c.latencyMs[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(c.latencyMs[i]).toBeLessThan(expected + 50);
    }
  });

  it('a blocked generator still charges the delay to the requests that were due', async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.end('ok');
    });
    const recorder = new Recorder();
    const start = clockMs() + 20;
    const loop = startOpenLoop({
      ratePerSecond: 500,
      target: () => ({ url }),
      startAtMs: start,
      durationMs: 400,
      onResult: recorder.add,
    });
    // Block this event loop from start+100 to start+300: nothing can be sent meanwhile.
    await new Promise((r) => setTimeout(r, start + 100 - clockMs()));
    const unblock = start + 300;
    while (clockMs() < unblock) {}
    const summary = await loop.finished;
    expect(summary.maxSendLagMs).toBeGreaterThan(150);
    const c = recorder.columns();
    for (let i = 0; i < c.intendedMs.length; i++) {
      const at = c.intendedMs[i] as number;
      if (at > start + 110 && at < unblock - 10)
        expect(c.latencyMs[i]).toBeGreaterThanOrEqual(unblock - at);
    }
  });

  it('abandons a request at its deadline with status 0', async () => {
    const url = await serve((req) => req.resume()); // never answers
    const recorder = new Recorder();
    const loop = startOpenLoop({
      ratePerSecond: 50,
      target: () => ({ url }),
      durationMs: 100,
      timeoutMs: 100,
      onResult: recorder.add,
    });
    const summary = await loop.finished;
    const c = recorder.columns();
    expect(summary.failed).toBe(summary.sent);
    expect([...c.status].every((s) => s === 0)).toBe(true);
    for (const latency of c.latencyMs) {
      expect(latency).toBeGreaterThanOrEqual(99);
      expect(latency).toBeLessThan(150);
    }
  });
});
