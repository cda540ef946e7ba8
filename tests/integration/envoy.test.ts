import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticProxyBootstrap } from '../../envoy/bootstrap.ts';
import { startUpstream, type TestUpstream } from '../support/http-upstream.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('Envoy from the pinned wheel', () => {
  let upstreams: TestUpstream[];
  let stack: TestStack;

  beforeAll(async () => {
    upstreams = await Promise.all(['a', 'b', 'c'].map((name) => startUpstream(name)));
    stack = await startTestStack({
      envoy: {
        extraPorts: ['listener'],
        bootstrap: (ports) =>
          staticProxyBootstrap({
            adminPort: ports.admin as number,
            listenerPort: ports.listener as number,
            upstreams: upstreams.map((u) => ({ host: '127.0.0.1', port: u.port })),
          }),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all((upstreams ?? []).map((u) => u.close()));
  });

  it('boots from a static bootstrap and reports ready on its admin port', async () => {
    const response = await fetch(`http://127.0.0.1:${stack.envoy?.adminPort}/ready`);
    expect(response.status).toBe(200);
    expect((await response.text()).trim()).toBe('LIVE');
  });

  it('proxies requests to the local upstreams, round robin', async () => {
    const listener = stack.envoy?.ports.listener as number;
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`http://127.0.0.1:${listener}/hello`);
      expect(response.status).toBe(200);
      answers.push(await response.text());
    }
    const counts = Object.fromEntries(
      upstreams.map((u) => [u.name, answers.filter((a) => a === u.name).length]),
    );
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
    expect(upstreams.map((u) => u.hits())).toEqual([10, 10, 10]);
  });
});
