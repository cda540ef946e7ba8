import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: every pinned file (poms, templates) is found relative to it. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Downloads and installs (venv, Kafka jars) live here, git-ignored and reused across runs.
 * Override with `MESHGRAPH_CACHE_DIR` (string, default `<repo>/.cache`).
 */
export function cacheDir(): string {
  return process.env.MESHGRAPH_CACHE_DIR ?? path.join(projectRoot, '.cache');
}

/**
 * Where `meshgraph stack up` keeps its state file, logs and data.
 * Override with `MESHGRAPH_RUN_DIR` (string, default `<repo>/.meshgraph/stack`).
 */
export function defaultRunDir(): string {
  return process.env.MESHGRAPH_RUN_DIR ?? path.join(projectRoot, '.meshgraph', 'stack');
}

/**
 * Where components find ClickHouse: `MESHGRAPH_CLICKHOUSE_URL` (string, default the embedded
 * engine in `<repo>/.meshgraph/clickhouse`); `http://host:port` for a server.
 */
export function defaultClickHouseUrl(): string {
  const dir = path.join(projectRoot, '.meshgraph', 'clickhouse');
  return process.env.MESHGRAPH_CLICKHOUSE_URL ?? `chdb://${encodeURI(dir)}`;
}
