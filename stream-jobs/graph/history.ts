import type { ClickHouseStore } from '../../lib/clickhouse/store.ts';
import { GraphWriter } from './graph-writer.ts';
import { defaultHealthOptions, type HealthOptions } from './health.ts';
import {
  edgeKey,
  endpointNode,
  type Horizon,
  horizonMs,
  horizons,
  ingressNode,
  type RedStats,
  type ServiceGraph,
} from './model.ts';

/**
 * The service graph as it was at an earlier time T, from ClickHouse's 10-s rollups
 * (edge_stats, endpoint_stats): same node keys, kinds, edge kinds and health rules as the live
 * fold, so analyses run on either.
 *
 * The difference: statistics are plain aggregates of the windows inside [T − horizon, T], not
 * decayed. rate = requests / horizon seconds; errorRate = (5xx + no response) / requests;
 * quantiles merge the windows' DDSketch states; `requests` is the plain count. So a burst counts
 * fully until it leaves the horizon, where the live fold lets it fade (decay.ts); for steady
 * traffic both agree. Only whole windows count: a window that ends after T is left out.
 */

/**
 * Options for {@link graphAt}.
 * - `windowSeconds` (number, default 10): the rollup tables' window length.
 * - `health` (Partial<HealthOptions>, default the fold's): health thresholds (health.ts).
 */
export interface GraphAtOptions {
  windowSeconds?: number;
  health?: Partial<HealthOptions>;
}

/** One aggregated row: 64-bit sums arrive as strings (store.ts), quantile arrays as numbers. */
type Row = Record<string, string | number | null | Array<number | null>>;

// Column expressions per horizon; identifiers only, values go in as {name:Type} parameters.
const perHorizon = horizons
  .map((h) => {
    const inside = `window_start >= toDateTime({from_${h}:UInt32}, 'UTC')`;
    return `sumIf(requests, ${inside}) AS requests_${h},
    sumIf(status_5xx + no_response, ${inside}) AS errors_${h},
    quantilesDDMergeIf(0.01, 0.5, 0.9, 0.99, 0.999)(latency_us, ${inside}) AS latency_${h}`;
  })
  .join(',\n    ');

function aggregate(table: string, keys: string, extraWhere: string): string {
  return `SELECT ${keys},
    ${perHorizon},
    sumIf(requests, window_start >= toDateTime({present:UInt32}, 'UTC')) AS requests_present,
    toUnixTimestamp(max(window_start)) AS last_start
  FROM ${table}
  WHERE window_start >= toDateTime({from_1h:UInt32}, 'UTC')
    AND window_start <= toDateTime({last:UInt32}, 'UTC')${extraWhere}
  GROUP BY ${keys}
  ORDER BY ${keys}`;
}

const edgeSql = aggregate('edge_stats', 'source_service, destination_cluster', '');
const endpointSql = aggregate(
  'endpoint_stats',
  'destination_cluster, upstream_endpoint',
  " AND upstream_endpoint != ''",
);

/**
 * The graph at `tMs` (ms since epoch): the edges with traffic in [T − horizon, T], each with
 * RED over all three horizons ending at T, and node health at T.
 */
export async function graphAt(
  store: ClickHouseStore,
  tMs: number,
  horizon: Horizon = '1h',
  options: GraphAtOptions = {},
): Promise<ServiceGraph> {
  if (!Number.isFinite(tMs) || tMs < 0) {
    throw new Error(`graphAt: tMs must be a time in ms since the epoch, got ${tMs}`);
  }
  if (!horizons.includes(horizon)) {
    throw new Error(`graphAt: horizon must be one of ${horizons.join(', ')}, got '${horizon}'`);
  }
  const windowSeconds = options.windowSeconds ?? 10;
  const since = (h: Horizon) => Math.ceil((tMs - horizonMs[h]) / 1000);
  const params: Record<string, number> = {
    last: Math.floor(tMs / 1000) - windowSeconds,
    present: since(horizon),
  };
  for (const h of horizons) params[`from_${h}`] = since(h);
  const [edges, endpoints] = await Promise.all([
    store.query<Row>(edgeSql, params),
    store.query<Row>(endpointSql, params),
  ]);

  const health = { ...defaultHealthOptions, ...options.health };
  const writer = new GraphWriter(health, 0);
  const seenMs = (row: Row) => (Number(row.last_start) + windowSeconds) * 1000;
  // A node is a service when it sent logs within the hour, as in the live fold (which keeps a
  // node until its edges are an hour old), even if the graph shows a shorter horizon.
  const sources = new Set(edges.map((row) => String(row.source_service)));
  const kindOf = (node: string) =>
    node === ingressNode ? 'ingress' : sources.has(node) ? 'service' : 'virtual';
  const present = (row: Row) => Number(row.requests_present) > 0;
  for (const row of edges.filter(present)) {
    const source = String(row.source_service);
    const target = String(row.destination_cluster);
    if (source === target) continue; // the live fold leaves self-calls out too
    writer.ensureNode(source, kindOf(source), tMs);
    writer.ensureNode(target, kindOf(target), tMs);
    const ends = { source, target, kind: 'calls' as const };
    writer.upsertEdge(edgeKey(source, target), ends, statsOf(row), seenMs(row), tMs);
  }
  for (const row of endpoints.filter(present)) {
    const service = String(row.destination_cluster);
    const endpoint = String(row.upstream_endpoint);
    const target = endpointNode(service, endpoint);
    writer.ensureNode(service, kindOf(service), tMs);
    writer.ensureNode(target, 'endpoint', tMs, service, endpoint);
    const ends = { source: service, target, kind: 'hosts' as const };
    writer.upsertEdge(edgeKey(service, target), ends, statsOf(row), seenMs(row), tMs);
  }
  writer.graph.forEachNode((node) => writer.refreshHealth(node, tMs));
  return writer.graph;
}

function statsOf(row: Row): Record<Horizon, RedStats> {
  const out = {} as Record<Horizon, RedStats>;
  for (const h of horizons) {
    const requests = Number(row[`requests_${h}`]);
    const errors = Number(row[`errors_${h}`]);
    const latency = row[`latency_${h}`];
    // quantilesDD's first parameter is its accuracy, so the array holds p50, p90, p99, p999, in
    // microseconds; a horizon without requests merges to NaN (null in JSON).
    const q = (i: number) => {
      const value = requests > 0 && Array.isArray(latency) ? latency[i] : null;
      return typeof value === 'number' ? value / 1000 : Number.NaN;
    };
    out[h] = {
      rate: requests / (horizonMs[h] / 1000),
      errorRate: requests > 0 ? errors / requests : 0,
      p50: q(0),
      p90: q(1),
      p99: q(2),
      p999: q(3),
      requests,
    };
  }
  return out;
}
