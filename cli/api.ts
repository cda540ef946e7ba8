import { Command } from 'commander';
import { startApi } from '../api/start.ts';
import { openStore } from '../lib/clickhouse/store.ts';
import { createLogger } from '../lib/log.ts';
import { graphAt } from '../stream-jobs/graph/history.ts';
import { startGraphView } from '../stream-jobs/graph/replay.ts';
import { parseBrokers } from './collector.ts';
import { portOption, untilSignal } from './options.ts';

/** `meshgraph api`: the graph API, with its own view of edge-stats.v1. */
export function apiCommand(): Command {
  return new Command('api')
    .description(
      'serve the service graph, its analyses, an SSE change stream and /openapi.json; folds edge-stats.v1 (the last hour on start)',
    )
    .option(
      '--brokers <host:port,...>',
      'Kafka bootstrap brokers (env MESHGRAPH_KAFKA_BROKERS)',
      process.env.MESHGRAPH_KAFKA_BROKERS,
    )
    .option(
      '--clickhouse <url>',
      'a ClickHouse server (http://host:port) for ?at= history; the embedded engine belongs to the jobs process, so none by default (env MESHGRAPH_CLICKHOUSE_URL)',
      process.env.MESHGRAPH_CLICKHOUSE_URL,
    )
    .option('--port <port>', 'HTTP port; 0 picks one', '18080')
    .option(
      '--token <token>',
      'bearer token for mutating routes (env MESHGRAPH_TOKEN)',
      process.env.MESHGRAPH_TOKEN,
    )
    .action(
      async (options: { brokers?: string; clickhouse?: string; port: string; token?: string }) => {
        const log = createLogger('api');
        const brokers = parseBrokers(options.brokers);
        const port = portOption(options.port, '--port');
        const view = await startGraphView({ brokers, log: log.child({ part: 'graph-view' }) });
        const store = options.clickhouse ? await openStore(options.clickhouse, log) : undefined;
        const api = await startApi({
          fold: view.fold,
          ...(store && {
            history: (tMs: number, horizon: '1m' | '5m' | '1h') => graphAt(store, tMs, horizon),
            store,
          }),
          log,
          port,
          token: options.token,
          ready: () =>
            view.isReady()
              ? { ready: true }
              : { ready: false, reason: 'catching up on edge-stats.v1' },
        });
        process.stdout.write(`api: http://127.0.0.1:${api.port} (OpenAPI at /openapi.json)\n`);
        log.info({ signal: await untilSignal() }, 'stopping');
        await api.close();
        await view.close();
        await store?.close();
      },
    );
}
