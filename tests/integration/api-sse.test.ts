import http from 'node:http';
import { DDSketch } from '@datadog/sketches-js';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../api/start.ts';
import { createLogger } from '../../lib/log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { GraphFold } from '../../stream-jobs/graph/fold.ts';
import { statsView } from '../../stream-jobs/graph/snapshot.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const W = 10_000;
const log = createLogger('test', { level: 'silent' });

function win(source: string, destination: string, startMs: number): EdgeStats {
  const sketch = new DDSketch();
  for (let i = 0; i < 50; i++) sketch.accept(10_000);
  const message = EdgeStats.fromPartial({
    sourceService: source,
    destinationCluster: destination,
    windowStartMs: startMs,
    windowSeconds: 10,
    requests: 50,
    status2xx: 50,
    latencySketch: Buffer.from(sketch.toProto()),
  });
  return EdgeStats.decode(EdgeStats.encode(message).finish());
}

interface SseEvent {
  event: string;
  data: unknown;
}

/** A real HTTP client on the stream: parses `event:`/`data:` blocks and counts comments. */
class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  status = 0;
  contentType = '';
  readonly #request: http.ClientRequest;
  #response: http.IncomingMessage | undefined;
  #buffer = '';

  constructor(url: string) {
    this.#request = http.get(url, (response) => {
      this.#response = response;
      this.status = response.statusCode ?? 0;
      this.contentType = String(response.headers['content-type']);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => this.#take(chunk));
      response.on('end', () => {
        this.ended = true;
      });
    });
    this.#request.on('error', () => {});
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    for (let end = this.#buffer.indexOf('\n\n'); end >= 0; end = this.#buffer.indexOf('\n\n')) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      if (block.startsWith(':')) {
        this.comments++;
        continue;
      }
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      this.events.push({ event: field('event') ?? '', data: JSON.parse(field('data') ?? 'null') });
    }
  }

  /** Stops reading: the server's socket buffer fills up as TCP backpressure builds. */
  pause(): void {
    this.#response?.pause();
  }

  resume(): void {
    this.#response?.resume();
  }

  close(): void {
    this.#request.destroy();
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('GET /v1/graph/stream (a real server and client)', () => {
  let api: RunningApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('sends a snapshot, then the fold changes, heartbeats, and unsubscribes on close', async () => {
    const fold = new GraphFold({ lagMs: 0, statsEventIntervalMs: 0 });
    fold.apply(win('ingress', 'web', T0));
    const metrics = new Registry();
    api = await startApi({ fold, log, port: 0, now: () => T0 + W, heartbeatMs: 50, metrics });
    const base = `http://127.0.0.1:${api.port}`;
    const clients = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^meshgraph_api_sse_clients (\d+)$/m.exec(text)?.[1]);
    };

    const client = new SseClient(`${base}/v1/graph/stream`);
    await until(() => client.events.length > 0, 'the snapshot');
    expect(client.status).toBe(200);
    expect(client.contentType).toBe('text/event-stream; charset=utf-8');
    expect(client.events[0]).toMatchObject({
      event: 'snapshot',
      data: {
        atMs: T0 + W,
        nodes: [{ key: 'ingress' }, { key: 'web' }],
        edges: [{ key: 'ingress→web', source: 'ingress', target: 'web', kind: 'calls' }],
      },
    });

    fold.apply(win('web', 'catalog', T0 + W));
    fold.apply(win('ingress', 'web', T0 + W));
    await until(() => client.events.length >= 6, 'the changes');
    // web now sends logs (virtual → service), catalog appears, is called, gets its health.
    expect(client.events.slice(1).map((e) => e.data)).toMatchObject([
      { type: 'node-changed', node: { key: 'web', kind: 'service' } },
      { type: 'node-added', node: { key: 'catalog', kind: 'virtual', health: 'unknown' } },
      { type: 'edge-added', edge: { key: 'web→catalog', source: 'web', target: 'catalog' } },
      { type: 'node-changed', node: { key: 'catalog', health: 'healthy' } },
      { type: 'edge-stats', key: 'ingress→web' },
    ]);
    expect(client.events.slice(1).map((e) => e.event)).toEqual([
      'node-changed',
      'node-added',
      'edge-added',
      'node-changed',
      'edge-stats',
    ]);

    await until(() => client.comments > 0, 'a heartbeat');
    expect(await clients()).toBe(1);
    client.close();
    const deadline = Date.now() + 5000;
    while ((await clients()) !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await clients()).toBe(0);
  });

  it('closes promptly with a stream open, ending it', async () => {
    const fold = new GraphFold({ lagMs: 0 });
    fold.apply(win('ingress', 'web', T0));
    api = await startApi({ fold, log, port: 0, now: () => T0 + W, heartbeatMs: 0 });
    const client = new SseClient(`http://127.0.0.1:${api.port}/v1/graph/stream`);
    await until(() => client.events.length > 0, 'the snapshot');
    const started = Date.now();
    await api.close();
    api = undefined;
    expect(Date.now() - started).toBeLessThan(2000);
    await until(() => client.ended, 'the end of the stream');
  });

  it('drops edge-stats for a client that stops reading, then sends it the latest', async () => {
    const fold = new GraphFold({ lagMs: 0, statsEventIntervalMs: 0 });
    fold.apply(win('ingress', 'web', T0));
    const metrics = new Registry();
    api = await startApi({ fold, log, port: 0, now: () => T0 + W, heartbeatMs: 0, metrics });
    const base = `http://127.0.0.1:${api.port}`;
    const dropped = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^meshgraph_api_sse_dropped_events_total (\d+)$/m.exec(text)?.[1]);
    };
    const client = new SseClient(`${base}/v1/graph/stream`);
    await until(() => client.events.length > 0, 'the snapshot');
    client.pause();

    // Each window moves the clock and emits edge-stats, until the socket buffers are full.
    let k = 1;
    while ((await dropped()) === 0) {
      if (k > 200_000) throw new Error('the server never saw a full socket buffer');
      for (const end = k + 500; k < end; k++) {
        fold.advance(T0 + k * W);
        fold.apply(win('ingress', 'web', T0 + k * W));
      }
    }
    const sent = k - 1;
    client.resume();
    const { lastSeenMs, stats } = fold.graph().getEdgeAttributes('ingress→web');
    const latest = { type: 'edge-stats', key: 'ingress→web', lastSeenMs, stats: statsView(stats) };
    await until(
      () => JSON.stringify(client.events.at(-1)?.data).includes(`"lastSeenMs":${lastSeenMs}`),
      'the latest stats',
    );
    expect(client.events.at(-1)).toMatchObject({ event: 'edge-stats', data: latest });
    expect(client.events.length).toBeLessThan(sent * 2);
    expect(await dropped()).toBeGreaterThan(0);
  });
});
