import { DDSketch } from '@datadog/sketches-js';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { EdgeStats } from '../../schemas/gen/meshgraph/meshgraph/v1/edge_stats.ts';
import { type GraphView, startGraphView } from '../../stream-jobs/graph/replay.ts';
import type { GraphSnapshot } from '../../stream-jobs/graph/snapshot.ts';
import { edgeStatsTopic, ensureTopics } from '../../stream-jobs/topics.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// 'error' unless asked: the poison message below is logged at warn on purpose.
const log = createLogger('graph-replay-test', {
  level: process.env.MESHGRAPH_LOG_LEVEL ?? 'error',
});

/*
 * The graph view against a real broker: a start reads the last hour of edge-stats.v1 (by
 * message timestamp), skips replays, poison and 1-s windows, is `ready` once caught up, keeps
 * folding what arrives after, and a restart rebuilds exactly the same graph.
 */

// A fixed wall clock, aligned to a window, so two views evaluate at the same time.
const T = Math.floor(Date.now() / 10_000) * 10_000;

function window(source: string, destination: string, startMs: number, seconds = 10): Buffer {
  const sketch = new DDSketch();
  for (let i = 1; i <= 50; i++) sketch.accept(i * 1000);
  const message = EdgeStats.fromPartial({
    sourceService: source,
    destinationCluster: destination,
    windowStartMs: startMs,
    windowSeconds: seconds,
    requests: 50,
    status2xx: 45,
    status5xx: 5,
    latencySketch: Buffer.from(sketch.toProto()),
  });
  return Buffer.from(EdgeStats.encode(message).finish());
}

async function produce(
  kafka: Kafka,
  messages: Array<{ key: string; value: Buffer; atMs: number }>,
) {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({
    topic: edgeStatsTopic.name,
    messages: messages.map((m) => ({ key: m.key, value: m.value, timestamp: String(m.atMs) })),
  });
  await producer.disconnect();
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('startGraphView: edge-stats.v1 → live graph (real Kafka)', () => {
  let stack: TestStack;
  let kafka: Kafka;
  const views: GraphView[] = [];
  const start = async () => {
    const brokers = stack.kafka?.brokers ?? [];
    const view = await startGraphView({ brokers, log, now: () => T });
    views.push(view);
    return view;
  };

  beforeAll(async () => {
    stack = await startTestStack({ kafka: true });
    kafka = createKafka({
      brokers: stack.kafka?.brokers ?? [],
      clientId: 'graph-replay-test',
      log,
    });
    await ensureTopics(kafka, [edgeStatsTopic]);
    const edge = 'frontend→catalog';
    const recent = Array.from({ length: 6 }, (_, k) => T - 60_000 + k * 10_000);
    await produce(kafka, [
      // Two hours old: before the lookback, never read.
      { key: 'old→gone', value: window('old', 'gone', T - 7_200_000), atMs: T - 7_190_000 },
      ...recent.map((s) => ({
        key: edge,
        value: window('frontend', 'catalog', s),
        atMs: s + 11_000,
      })),
      { key: edge, value: window('frontend', 'catalog', recent[2] ?? 0), atMs: T }, // a replay
      { key: edge, value: window('frontend', 'catalog', T - 10_000, 1), atMs: T }, // 1-s window
      { key: edge, value: Buffer.from('not protobuf at all'), atMs: T }, // poison
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled(views.map((v) => v.close()));
    await stack?.stop();
  });

  it('rebuilds the last hour, ignoring replays, 1-s windows and poison, then is ready', async () => {
    const view = await start();
    await view.ready;
    expect(view.isReady()).toBe(true);
    const g = view.fold.graph();
    expect(g.nodes()).toEqual(['frontend', 'catalog']);
    expect(view.fold.counters()).toMatchObject({
      folded: 6,
      duplicates: 1,
      ignored: { windowSize: 1, perInstance: 0, tooOld: 0, future: 0, selfLoop: 0 },
    });
    const s = g.getEdgeAttribute('frontend→catalog', 'stats')['1m'];
    expect(s.rate).toBeCloseTo(5, 9); // 50 per 10 s, exactly: the fold watched since T − 60 s
    expect(s.errorRate).toBeCloseTo(0.1, 12);
  });

  it('folds windows that arrive after the start, and a restart rebuilds the same graph', async () => {
    const view = views[0] as GraphView;
    await produce(kafka, [
      { key: 'frontend→cart', value: window('frontend', 'cart', T), atMs: T + 11_000 },
    ]);
    await until(() => view.fold.graph().hasEdge('frontend→cart'), 'the live window');
    await view.close();
    view.fold.advance(T);
    const before = view.fold.snapshot(T);

    const again = await start();
    await again.ready;
    // Partitions are read concurrently, so insertion order may differ; the content may not.
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    const sorted = (s: GraphSnapshot) => ({
      ...s,
      nodes: s.nodes.sort(byKey),
      edges: s.edges.sort(byKey),
    });
    expect(sorted(again.fold.snapshot(T))).toEqual(sorted(before));
    expect(before.edges.map((e) => e.key).sort()).toEqual(['frontend→cart', 'frontend→catalog']);
  });
});
