import { migrate } from '../../../lib/clickhouse/migrate.ts';
import type { ClickHouseStore } from '../../../lib/clickhouse/store.ts';
import type { Logger } from '../../../lib/log.ts';

/** One request as the fixture writes it into access_log. */
export interface Request {
  atMs: number;
  source: string;
  destination: string;
  endpoint: string;
  status: number;
  durationMs: number;
}

/**
 * Two minutes of traffic ending 10 s before now (the dashboards read `now()`):
 * - frontend → catalog: 60 requests, alternating 10.0.1.1:8080 / 10.0.1.2:8080, 10 ms; six
 *   on 10.0.1.2 answer 503;
 * - catalog → db (10.0.3.1:5432): 30 requests, 5 ms; three get no response (flag UF).
 */
export function sampleRequests(nowMs: number = Date.now()): Request[] {
  const start = Math.floor(nowMs / 10_000) * 10_000 - 130_000;
  const out: Request[] = [];
  for (let i = 0; i < 60; i++) {
    const second = i % 2 === 1;
    out.push({
      atMs: start + i * 2000,
      source: 'frontend',
      destination: 'catalog',
      endpoint: second ? '10.0.1.2:8080' : '10.0.1.1:8080',
      status: second && i % 10 === 1 ? 503 : 200,
      durationMs: 10,
    });
  }
  for (let i = 0; i < 30; i++) {
    out.push({
      atMs: start + i * 4000,
      source: 'catalog',
      destination: 'db',
      endpoint: '10.0.3.1:5432',
      status: i % 10 === 0 ? 0 : 200,
      durationMs: 5,
    });
  }
  return out;
}

/** Applies the schema and writes `requests` into access_log; the views fill the rollups. */
export async function seedAccessLog(
  store: ClickHouseStore,
  log: Logger,
  requests: Request[],
): Promise<void> {
  await migrate(store, log);
  await store.insert(
    'access_log',
    requests.map((r, i) => ({
      start_time: r.atMs * 1000,
      source_service: r.source,
      destination_cluster: r.destination,
      upstream_endpoint: r.endpoint,
      route: `${r.destination}-route`,
      method: 'GET',
      authority: r.destination,
      path: `/${i}`,
      status: r.status,
      response_flags: r.status === 0 ? 'UF' : '-',
      duration_us: r.durationMs * 1000,
      upstream_duration_us: r.durationMs * 1000,
      request_bytes: 0,
      response_bytes: 0,
      request_id: `req-${i}`,
      node_id: `${r.source}-envoy`,
      model: '',
      prompt_tokens: 0,
      completion_tokens: 0,
    })),
  );
}
