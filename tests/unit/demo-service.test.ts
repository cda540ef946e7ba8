/**
 * A demo service's downstream calls (demo/fleet/service.ts) against a local server standing in
 * for Envoy: every call names the calling service and instance, which is what the collector
 * logs as the caller (source service, source instance: the policy's dependency health).
 */

import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  listen,
  type RunningService,
  sourceHeader,
  sourceInstanceHeader,
  startService,
} from '../../demo/fleet/service.ts';

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((close) => close()));
});

/** A stand-in Envoy answering 200 and recording each request's caller headers. */
async function fakeEnvoy(): Promise<{ port: number; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    seen.push(req.headers);
    res.end('ok');
  });
  const port = await listen(server, 0);
  closing.push(() => closeServer(server));
  return { port, seen };
}

async function started(options: Parameters<typeof startService>[0]): Promise<RunningService> {
  const service = await startService(options);
  closing.push(() => service.close());
  return service;
}

async function get(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  await response.arrayBuffer();
  return response.status;
}

describe('demo service', () => {
  it('names itself and its instance (127.0.0.1:<its port>) on every downstream call', async () => {
    const envoy = await fakeEnvoy();
    const service = await started({
      name: 'cart',
      envoyPort: envoy.port,
      downstream: [{ path: '/cache' }, { path: '/db' }],
    });
    expect(service.instance).toBe(`127.0.0.1:${service.port}`);
    expect(await get(service.port)).toBe(200);
    expect(envoy.seen).toHaveLength(2);
    for (const headers of envoy.seen) {
      expect(headers[sourceHeader]).toBe('cart');
      expect(headers[sourceInstanceHeader]).toBe(`127.0.0.1:${service.port}`);
    }
  });

  it('sends the instance it is told to be, when its cluster knows it by another address', async () => {
    const envoy = await fakeEnvoy();
    const service = await started({
      name: 'cart',
      envoyPort: envoy.port,
      downstream: [{ path: '/db' }],
      instance: '10.0.0.7:8080',
    });
    expect(await get(service.port)).toBe(200);
    expect(envoy.seen[0]?.[sourceInstanceHeader]).toBe('10.0.0.7:8080');
    expect(service.instance).toBe('10.0.0.7:8080');
  });
});
