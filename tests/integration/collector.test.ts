import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, type ClientWritableStream, credentials } from '@grpc/grpc-js';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticProxyBootstrap } from '../../envoy/bootstrap.ts';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { RequestMethod } from '../../schemas/gen/envoy/envoy/config/core/v3/base.ts';
import {
  AccessLogType,
  HTTPAccessLogEntry,
} from '../../schemas/gen/envoy/envoy/data/accesslog/v3/accesslog.ts';
import {
  type DeepPartial,
  StreamAccessLogsMessage,
} from '../../schemas/gen/envoy/envoy/service/accesslog/v3/als.ts';
import { AccessLogRecord } from '../../schemas/gen/meshgraph/meshgraph/v1/access_log.ts';
import { splitBatch } from '../../stream-jobs/access-log-batch.ts';
import { type RunningCollector, startCollector } from '../../stream-jobs/collector/start.ts';
import { accessLogsDeadLetterTopic, accessLogsTopic } from '../../stream-jobs/topics.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const log = createLogger('collector-test', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const alsPath = '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs';

interface Received {
  key: string;
  partition: number;
  offset: number;
  /** The record's place in its access-logs batch (0 for any other topic's message). */
  index: number;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Reads `topic` from the start with a fresh group until `n` items arrived: records for
 * access-logs (each message's batch split), messages for any other topic.
 */
async function consume(kafka: Kafka, topic: string, n: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: `collector-test-${topic}-${Date.now()}` });
  const received: Received[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${topic}: ${received.length} of ${n} items after 60 s`)),
        60_000,
      );
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) reject(e.payload.error);
      });
      void consumer
        .connect()
        .then(() => consumer.subscribe({ topics: [topic], fromBeginning: true }))
        .then(() =>
          consumer.run({
            eachMessage: async ({ partition, message }) => {
              const headers = Object.fromEntries(
                Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
              );
              const base = {
                key: message.key?.toString() ?? '',
                partition,
                offset: Number(message.offset),
                headers,
              };
              const value = message.value ?? Buffer.alloc(0);
              if (topic !== accessLogsTopic.name) received.push({ ...base, index: 0, value });
              else
                for (const [index, record] of splitBatch(value).entries())
                  received.push({ ...base, index, value: Buffer.from(record) });
              if (received.length >= n) {
                clearTimeout(timer);
                resolve();
              }
            },
          }),
        )
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

/** Messages in `topic` in total, from the partitions' end offsets: nothing more than counted. */
async function topicTotal(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Distinct Kafka messages the records came in. */
const messagesIn = (records: readonly Received[]) =>
  new Set(records.map((r) => `${r.partition}:${r.offset}`)).size;

/** A raw ALS client stream (bytes in, as Envoy would send them), honouring flow control. */
function alsStream(port: number) {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  let call!: ClientWritableStream<Buffer>;
  const finished = new Promise<void>((resolve, reject) => {
    call = client.makeClientStreamRequest(
      alsPath,
      (b: Buffer) => b,
      (b: Buffer) => b,
      (error) => (error ? reject(error) : resolve()),
    );
  });
  finished.catch(() => {}); // observed by end(); the server may answer before that

  return {
    async write(bytes: Uint8Array) {
      if (!call.write(Buffer.from(bytes))) await new Promise((r) => call.once('drain', r));
    },
    async end() {
      call.end();
      await finished;
      client.close();
    },
  };
}

const message = (m: DeepPartial<StreamAccessLogsMessage>) =>
  StreamAccessLogsMessage.encode(StreamAccessLogsMessage.fromPartial(m)).finish();

function entry(requestId: string, cluster: string, source?: string, llm = false) {
  return HTTPAccessLogEntry.fromPartial({
    commonProperties: {
      startTime: { seconds: 1_700_000_000, nanos: 0 },
      duration: { nanos: 3_000_000 },
      upstreamCluster: cluster,
      upstreamRemoteAddress: { socketAddress: { address: '127.0.0.1', portValue: 9000 } },
      routeName: `${cluster}-route`,
      accessLogType: AccessLogType.DownstreamEnd,
    },
    request: {
      requestMethod: RequestMethod.GET,
      path: '/',
      requestId,
      requestHeaders: source ? { 'x-meshgraph-source': source } : {},
    },
    response: {
      responseCode: 200,
      responseHeaders: llm ? { 'x-meshgraph-model': 'm1', 'x-meshgraph-prompt-tokens': '10' } : {},
    },
  });
}

const encoded = (e: HTTPAccessLogEntry) => Buffer.from(HTTPAccessLogEntry.encode(e).finish());
const varint = (n: number) => {
  const out: number[] = [];
  for (let rest = n; ; rest >>>= 7) {
    if (rest < 0x80) return Buffer.from([...out, rest]);
    out.push((rest & 0x7f) | 0x80);
  }
};
/** A message whose http_logs hold these exact entry bytes (encoded by hand: may be garbage). */
const rawHttpLogs = (entries: Buffer[]) => {
  const inner = Buffer.concat(
    entries.map((e) => Buffer.concat([Buffer.from([0x0a]), varint(e.length), e])),
  );
  return Buffer.concat([Buffer.from([0x12]), varint(inner.length), inner]);
};

describe('collector: ALS → Kafka', () => {
  let stack: TestStack;
  let collector: RunningCollector;
  let kafka: Kafka;
  const admin = (path: string) => fetch(`http://127.0.0.1:${collector.adminPort}${path}`);

  beforeAll(async () => {
    stack = await startTestStack({ kafka: true });
    const brokers = stack.kafka?.brokers ?? [];
    // Small bounds so 2,000 entries sent at full speed must hit them (backpressure, not loss).
    collector = await startCollector({
      brokers,
      grpcAddress: '127.0.0.1:0',
      adminPort: 0,
      log,
      bounds: { maxBufferedRecords: 200, maxBatchRecords: 50 },
    });
    kafka = createKafka({ brokers, clientId: 'collector-test', log });
  });

  afterAll(async () => {
    await collector?.close();
    await stack?.stop();
  });

  it('produces every entry once, keyed by edge, malformed ones to the DLQ', async () => {
    expect((await admin('/readyz')).status).toBe(200);
    const malformedEntries = {
      missing_common_properties: encoded(
        HTTPAccessLogEntry.fromPartial({ request: { path: '/' } }),
      ),
      invalid_status: encoded(
        HTTPAccessLogEntry.fromPartial({
          ...entry('bad', 'api'),
          response: { responseCode: 1000 },
        }),
      ),
      undecodable_entry: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
    };
    // Stream 1: a node that names its service; 1,000 entries to api and llm.
    const web = alsStream(collector.grpcPort);
    const node = { id: 'envoy-web', cluster: 'web', metadata: { service: 'web' } };
    // Stream 2: an edge node without a service: the header names the caller, or nobody does.
    const edge = alsStream(collector.grpcPort);
    const edgeNode = { id: 'envoy-edge', cluster: 'edge' };
    const sendAll = async (
      stream: ReturnType<typeof alsStream>,
      identity: { id: string; cluster: string; metadata?: { service: string } },
      make: (i: number) => HTTPAccessLogEntry,
      extra: Buffer[],
    ) => {
      for (let m = 0; m < 20; m++) {
        const entries = Array.from({ length: 50 }, (_, j) => encoded(make(m * 50 + j)));
        // The identifier rides on the first message only, as Envoy sends it.
        const head = m === 0 ? message({ identifier: { node: identity, logName: 'mesh' } }) : [];
        const bad = m === 10 ? extra : [];
        await stream.write(Buffer.concat([Buffer.from(head), rawHttpLogs([...entries, ...bad])]));
      }
      await stream.end();
    };
    await Promise.all([
      sendAll(
        web,
        node,
        (i) => (i % 2 ? entry(`web-${i}`, 'api') : entry(`web-${i}`, 'llm', undefined, true)),
        [],
      ),
      sendAll(
        edge,
        edgeNode,
        (i) => (i % 2 ? entry(`edge-${i}`, 'api', 'mobile') : entry(`edge-${i}`, 'web')),
        Object.values(malformedEntries),
      ),
    ]);

    const records = await consume(kafka, accessLogsTopic.name, 2000);
    expect(records).toHaveLength(2000);
    expect(await topicTotal(kafka, accessLogsTopic.name)).toBe(messagesIn(records));
    const byKey = new Map<string, Received[]>();
    for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    expect(Object.fromEntries([...byKey].map(([k, list]) => [k, list.length]))).toEqual({
      'web→api': 500,
      'web→llm': 500,
      'mobile→api': 500,
      'ingress→web': 500,
    });
    for (const [key, list] of byKey) {
      expect(new Set(list.map((r) => r.partition)).size, key).toBe(1); // one edge, one partition
      const decoded = list
        .sort((a, b) => a.offset - b.offset || a.index - b.index)
        .map((r) => AccessLogRecord.decode(r.value));
      expect(decoded.every((d) => `${d.sourceService}→${d.destinationCluster}` === key)).toBe(true);
      // Ordered as sent within the edge.
      const sequence = decoded.map((d) => Number(d.requestId.split('-')[1]));
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      expect(new Set(decoded.map((d) => d.requestId)).size).toBe(500);
    }
    const llm = AccessLogRecord.decode(byKey.get('web→llm')?.[0]?.value ?? Buffer.alloc(0));
    expect([llm.nodeId, llm.model, llm.promptTokens, llm.upstreamEndpoint, llm.durationUs]).toEqual(
      ['envoy-web', 'm1', 10, '127.0.0.1:9000', 3000],
    );
    expect(
      AccessLogRecord.decode(byKey.get('ingress→web')?.[0]?.value ?? Buffer.alloc(0)).nodeId,
    ).toBe('envoy-edge');

    const letters = await consume(kafka, accessLogsDeadLetterTopic.name, 3);
    expect(await topicTotal(kafka, accessLogsDeadLetterTopic.name)).toBe(3);
    for (const [reason, bytes] of Object.entries(malformedEntries)) {
      const letter = letters.find((l) => l.headers['meshgraph-reason'] === reason);
      expect(letter?.value, reason).toEqual(bytes);
      expect(letter?.key).toBe('envoy-edge');
      expect(letter?.headers['meshgraph-value-type']).toBe(
        'envoy.data.accesslog.v3.HTTPAccessLogEntry',
      );
      expect(letter?.headers['meshgraph-message']).toBeTruthy();
    }

    const metrics = await (await admin('/metrics')).text();
    const value = (line: string) =>
      Number(metrics.match(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
    expect(value('meshgraph_collector_entries_received_total{kind="http"}')).toBe(2003);
    expect(value('meshgraph_collector_produced_total{topic="access-logs.v2"}')).toBe(2000);
    expect(value('meshgraph_collector_produced_total{topic="access-logs.dlq.v1"}')).toBe(3);
    for (const reason of Object.keys(malformedEntries))
      expect(value(`meshgraph_collector_dead_letters_total{reason="${reason}"}`), reason).toBe(1);
    expect(value('meshgraph_collector_backpressure_pauses_total')).toBeGreaterThan(0);
    expect(value('meshgraph_collector_buffered_messages')).toBe(0);
    expect(value('meshgraph_collector_batch_messages_sum')).toBe(2003);
    expect(metrics).not.toMatch(/meshgraph_collector_dropped_total\{/);
    expect((await admin('/healthz')).status).toBe(200);
  });

  it('refuses streams and reports not ready once closing', async () => {
    const closing = collector.close();
    await closing;
    await expect(admin('/readyz')).rejects.toThrow();
    const late = alsStream(collector.grpcPort);
    await late.write(message({ identifier: { node: { id: 'late' } } }));
    await expect(late.end()).rejects.toThrow(/UNAVAILABLE|No connection/);
  });
});

/** An LLM-like upstream: answers with its port and the usage headers the collector logs. */
async function llmUpstream(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(200, {
      'x-meshgraph-model': 'tiny-llm',
      'x-meshgraph-prompt-tokens': '7',
      'x-meshgraph-completion-tokens': '3',
    });
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The parts of staticProxyBootstrap's JSON this test edits. */
type StaticBootstrap = Record<string, unknown> & {
  node: object;
  static_resources: {
    listeners: Array<{
      filter_chains: Array<{
        filters: Array<{
          typed_config: {
            route_config: { virtual_hosts: Array<{ routes: Array<{ name?: string }> }> };
            access_log?: unknown[];
          };
        }>;
      }>;
    }>;
    clusters: unknown[];
  };
};

function first<T>(list: T[]): T {
  if (list[0] === undefined) throw new Error('staticProxyBootstrap changed shape: empty list');
  return list[0];
}

/**
 * staticProxyBootstrap plus what the xds-server's listeners carry: an HTTP gRPC access log to
 * the collector, logging the source request header and the LLM response headers.
 */
function envoyWithAls(ports: Record<string, number>, upstreams: number[], alsPort: number) {
  const bootstrap = staticProxyBootstrap({
    adminPort: ports.admin as number,
    listenerPort: ports.listener as number,
    upstreams: upstreams.map((port) => ({ host: '127.0.0.1', port })),
    clusterName: 'llm-pool',
  }) as unknown as StaticBootstrap;
  bootstrap.node = {
    id: 'envoy-frontend-1',
    cluster: 'frontend',
    metadata: { service: 'frontend' },
  };
  const hcm = first(
    first(first(bootstrap.static_resources.listeners).filter_chains).filters,
  ).typed_config;
  first(first(hcm.route_config.virtual_hosts).routes).name = 'chat';
  hcm.access_log = [
    {
      name: 'envoy.access_loggers.http_grpc',
      typed_config: {
        '@type':
          'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
        common_config: {
          log_name: 'mesh',
          transport_api_version: 'V3',
          grpc_service: { envoy_grpc: { cluster_name: 'meshgraph_als' } },
          buffer_flush_interval: '0.1s',
        },
        additional_request_headers_to_log: ['x-meshgraph-source'],
        additional_response_headers_to_log: [
          'x-meshgraph-model',
          'x-meshgraph-prompt-tokens',
          'x-meshgraph-completion-tokens',
        ],
      },
    },
  ];
  bootstrap.static_resources.clusters.push({
    name: 'meshgraph_als',
    type: 'STATIC',
    connect_timeout: '1s',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: {
      cluster_name: 'meshgraph_als',
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: '127.0.0.1', port_value: alsPort } },
              },
            },
          ],
        },
      ],
    },
  });
  return bootstrap;
}

describe('collector: a real Envoy sending its access logs', () => {
  let kafkaStack: TestStack;
  let envoyStack: TestStack;
  let collector: RunningCollector;
  let upstreams: Array<{ port: number; close: () => Promise<void> }>;

  beforeAll(async () => {
    [kafkaStack, upstreams] = await Promise.all([
      startTestStack({ kafka: true }),
      Promise.all([llmUpstream(), llmUpstream()]),
    ]);
    collector = await startCollector({
      brokers: kafkaStack.kafka?.brokers ?? [],
      grpcAddress: '127.0.0.1:0',
      adminPort: 0,
      log,
    });
    envoyStack = await startTestStack({
      envoy: {
        extraPorts: ['listener'],
        bootstrap: (ports) =>
          envoyWithAls(
            ports,
            upstreams.map((u) => u.port),
            collector.grpcPort,
          ),
      },
    });
  });

  afterAll(async () => {
    await envoyStack?.stop();
    await collector?.close();
    await kafkaStack?.stop();
    await Promise.all((upstreams ?? []).map((u) => u.close()));
  });

  it('turns 100 proxied requests into 100 records with source, destination and endpoint', async () => {
    const listener = envoyStack.envoy?.ports.listener as number;
    for (let i = 0; i < 100; i++) {
      const response = await fetch(`http://127.0.0.1:${listener}/v1/chat/${i}`, {
        method: 'POST',
        body: 'hi',
      });
      expect(response.status).toBe(200);
      await response.text();
    }
    const kafka = createKafka({
      brokers: kafkaStack.kafka?.brokers ?? [],
      clientId: 'collector-envoy-test',
      log,
    });
    const received = await consume(kafka, accessLogsTopic.name, 100);
    expect(received).toHaveLength(100);
    expect(await topicTotal(kafka, accessLogsTopic.name)).toBe(messagesIn(received));
    expect(new Set(received.map((r) => r.key))).toEqual(new Set(['frontend→llm-pool']));
    const records = received.map((r) => AccessLogRecord.decode(r.value));
    const endpoints = new Map<string, number>();
    for (const r of records)
      endpoints.set(r.upstreamEndpoint, (endpoints.get(r.upstreamEndpoint) ?? 0) + 1);
    expect(Object.fromEntries(endpoints)).toEqual(
      Object.fromEntries(upstreams.map((u) => [`127.0.0.1:${u.port}`, 50])), // round robin
    );
    expect(records.map((r) => r.path).sort()).toEqual(
      Array.from({ length: 100 }, (_, i) => `/v1/chat/${i}`).sort(),
    );
    expect(new Set(records.map((r) => r.requestId)).size).toBe(100);
    for (const r of records) {
      expect(r).toMatchObject({
        sourceService: 'frontend',
        destinationCluster: 'llm-pool',
        nodeId: 'envoy-frontend-1',
        route: 'chat',
        method: 'POST',
        authority: `127.0.0.1:${listener}`,
        status: 200,
        responseFlags: '',
        requestBytes: 2,
        responseBytes: 2,
        model: 'tiny-llm',
        promptTokens: 7,
        completionTokens: 3,
      });
      expect(r.durationUs).toBeGreaterThan(0);
      expect(r.upstreamDurationUs).toBeLessThanOrEqual(r.durationUs);
      expect(Math.abs(r.startTimeUs / 1000 - Date.now())).toBeLessThan(120_000);
    }
  });
});

describe('collector: Kafka goes away', () => {
  let stack: TestStack;
  let collector: RunningCollector;

  beforeAll(async () => {
    stack = await startTestStack({ kafka: true });
    collector = await startCollector({
      brokers: stack.kafka?.brokers ?? [],
      grpcAddress: '127.0.0.1:0',
      adminPort: 0,
      // Quiet: kafkajs logs every failed reconnect at error level, which is the point here.
      log: createLogger('collector-outage-test', { level: 'silent' }),
      shutdownTimeoutMs: 1000,
      stallMs: 1000,
    });
  });

  afterAll(async () => {
    await collector?.close();
    await stack?.stop();
  });

  it('holds the batch, reports not ready, and still shuts down within its timeout', async () => {
    await stack.stop();
    const stream = alsStream(collector.grpcPort);
    const node = { id: 'envoy-web', cluster: 'web', metadata: { service: 'web' } };
    const entries = Array.from({ length: 10 }, (_, i) => encoded(entry(`r-${i}`, 'api')));
    await stream.write(
      Buffer.concat([
        Buffer.from(message({ identifier: { node, logName: 'mesh' } })),
        rawHttpLogs(entries),
      ]),
    );
    const admin = (path: string) => fetch(`http://127.0.0.1:${collector.adminPort}${path}`);
    const deadline = Date.now() + 60_000;
    let readyz = await admin('/readyz');
    while (readyz.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      readyz = await admin('/readyz');
    }
    expect(readyz.status).toBe(503);
    expect(((await readyz.json()) as { error: { message: string } }).error.message).toMatch(
      /^Kafka send (failing \(attempt \d+\): |pending for \d+ s)/,
    );
    // kafkajs gives up on its own retries; the batcher keeps the batch and retries it.
    let metrics = '';
    while (!/^meshgraph_collector_produce_retries_total [1-9]/m.test(metrics)) {
      if (Date.now() > deadline)
        throw new Error(`no retry counted before the deadline:\n${metrics}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      metrics = await (await admin('/metrics')).text();
    }
    expect(metrics).toMatch(/^meshgraph_collector_buffered_messages 10$/m); // held, not dropped
    expect(metrics).not.toMatch(/^meshgraph_collector_dropped_total\{/m);
    const reason = ((await (await admin('/readyz')).json()) as { error: { message: string } })
      .error;
    expect(reason.message).toMatch(/^Kafka send failing \(attempt 1\): /);

    const started = Date.now();
    const closed = collector.close();
    await expect(stream.end()).rejects.toThrow(/UNAVAILABLE/);
    await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    // Given up at the shutdown timeout, and said so.
    expect(await collector.registry.metrics()).toMatch(
      /^meshgraph_collector_dropped_total\{reason="shutdown"\} 10$/m,
    );
  });
});
