import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';
import { freePort } from '../../stack/ports.ts';
import { startUpstream, type TestUpstream } from '../support/http-upstream.ts';
import { sendRequests } from '../support/load.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import type { TestStack } from '../support/stack.ts';
import { startAdsEnvoy, startXds, waitFor, type XdsTestServer } from '../support/xds.ts';

// The whole traffic pipeline with real components: Envoy (configured by our xds-server) logs
// every request over gRPC ALS to the collector, which produces to Kafka; the rollup job writes
// ClickHouse (embedded engine) exactly once.

const log = createLogger('test-pipeline', { level: process.env.MESHGRAPH_LOG_LEVEL ?? 'warn' });
const requestsPerEdge = 2500;

describe('Envoy → collector → Kafka → rollup → ClickHouse', () => {
  let xds: XdsTestServer;
  let envoy: TestStack;
  let upstreams: TestUpstream[];
  let pipeline: TestPipeline;
  let store: ClickHouseStore;
  let listenerPort: number;

  beforeAll(async () => {
    pipeline = await startTestPipeline('pipeline', log);
    store = pipeline.store;
    const { collector } = pipeline;
    // A spread of service times so the p99 is not trivial: mostly fast, a slow tail.
    const delay = () => (Math.random() < 0.05 ? 20 + Math.random() * 60 : Math.random() * 8);
    upstreams = await Promise.all(['a', 'b', 'c'].map((n) => startUpstream(n, { delayMs: delay })));
    listenerPort = await freePort();
    xds = await startXds(`listeners:
  - name: ingress
    port: ${listenerPort}
    routes:
      - name: catalog
        cluster: catalog
clusters:
  - name: catalog
    endpoints: [${upstreams.map((u) => `"127.0.0.1:${u.port}"`).join(', ')}]
accessLog: { collector: "127.0.0.1:${collector.grpcPort}" }
`);
    envoy = await startAdsEnvoy(xds);
  });

  afterAll(async () => {
    await envoy?.stop();
    await xds?.stop();
    await Promise.all((upstreams ?? []).map((u) => u.close()));
    await pipeline?.close();
  });

  it('5,000 requests become exactly 5,000 rows, rollups sum per edge, the sketch p99 is within 2%', async () => {
    // Two edges: requests naming their caller, and requests from outside (the ingress).
    const [fromWeb, fromIngress] = await Promise.all([
      sendRequests(listenerPort, requestsPerEdge, 8, '/items', { 'x-meshgraph-source': 'web' }),
      sendRequests(listenerPort, requestsPerEdge, 8, '/items'),
    ]);
    expect(fromWeb.failed + fromIngress.failed).toBe(0);

    const total = 2 * requestsPerEdge;
    await waitFor(
      'every row in access_log',
      async () => {
        const [row] = await store.query<{ n: string }>('SELECT count() AS n FROM access_log');
        return Number(row?.n) >= total ? true : undefined;
      },
      120_000,
    );
    const [count] = await store.query<{ n: string }>('SELECT count() AS n FROM access_log');
    expect(Number(count?.n)).toBe(total);

    const perEdge = await store.query<{ source: string; destination: string; requests: string }>(
      `SELECT source_service AS source, destination_cluster AS destination, sum(requests) AS requests
       FROM edge_stats GROUP BY source, destination ORDER BY source`,
    );
    expect(perEdge.map((r) => [r.source, r.destination, Number(r.requests)])).toEqual([
      ['ingress', 'catalog', requestsPerEdge],
      ['web', 'catalog', requestsPerEdge],
    ]);

    for (const source of ['ingress', 'web']) {
      const durations = (
        await store.query<{ d: string }>(
          'SELECT duration_us AS d FROM access_log WHERE source_service = {source:String} ORDER BY d',
          { source },
        )
      ).map((r) => Number(r.d));
      // The exact p99 at rank floor(0.99·(n−1)), the definition DDSketch estimates.
      const exact = durations[Math.floor(0.99 * (durations.length - 1))] as number;
      const [sketch] = await store.query<{ p99: number }>(
        `SELECT quantileDDMerge(0.01, 0.99)(latency_us) AS p99 FROM edge_stats
         WHERE source_service = {source:String} AND destination_cluster = 'catalog'`,
        { source },
      );
      expect(Math.abs(Number(sketch?.p99) - exact) / exact).toBeLessThanOrEqual(0.02);
    }
  });
});
