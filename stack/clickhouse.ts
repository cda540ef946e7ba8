import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ComponentDriver, LaunchPlan } from './component.ts';
import { freePort } from './ports.ts';
import { PrerequisiteError, which } from './prerequisites.ts';

/**
 * The clickhouse-server binary: `MESHGRAPH_CLICKHOUSE_SERVER` (string, default: `clickhouse-server`
 * on PATH, else Debian's /usr/sbin/clickhouse-server, since sbin is often off a user's PATH).
 */
function serverBinary(): string | undefined {
  const candidate =
    process.env.MESHGRAPH_CLICKHOUSE_SERVER ??
    which('clickhouse-server') ??
    '/usr/sbin/clickhouse-server';
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

/**
 * A ClickHouse server for the stack, written for Debian's clickhouse-server 18.16 (the config is
 * still `<yandex>`; newer servers accept that root too). Checked here: it runs as root as is (no
 * user switch, no refusal), starts in about a second, serves HTTP and native TCP only — without an
 * `interserver_http_port` element it opens no replication port — and with `<console>` and no
 * `<log>` file it logs only to stdout, which `launch` captures in `<dir>/clickhouse.log`.
 */
export function clickhouseServerDriver(): ComponentDriver {
  return {
    name: 'clickhouse',

    async checkInstalled() {
      if (!serverBinary()) {
        throw new PrerequisiteError(
          'clickhouse-server not found; install it with: apt-get install clickhouse-server (or set MESHGRAPH_CLICKHOUSE_SERVER to its path)',
        );
      }
    },

    async prepare(dir: string): Promise<LaunchPlan> {
      const command = serverBinary();
      if (!command)
        throw new PrerequisiteError('clickhouse-server not found (call checkInstalled first)');
      const http = await freePort();
      const tcp = await freePort();
      const data = path.join(dir, 'data');
      for (const sub of ['', 'tmp', 'user_files', 'format_schemas']) {
        mkdirSync(path.join(data, sub), { recursive: true });
      }
      const config = path.join(dir, 'config.xml');
      writeFileSync(config, serverConfig({ http, tcp, data }));
      writeFileSync(path.join(dir, 'users.xml'), usersConfig);
      return {
        command,
        // The server itself, not a wrapper script: its pid is the one `launch` watches and stops.
        args: [`--config-file=${config}`],
        cwd: dir,
        port: http,
        endpoints: { http, tcp },
      };
    },

    async isReady(plan: LaunchPlan): Promise<boolean> {
      return (await selectOne(plan.port)) === '1';
    },
  };
}

/**
 * `SELECT 1` over a connection of its own. A pooled keep-alive connection left idle by a probe
 * holds up the server's SIGTERM shutdown until it times out (8 s of a 10 s stop grace, measured).
 */
function selectOne(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: '/?query=SELECT%201', agent: false, timeout: 2000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve(response.statusCode === 200 ? body.trim() : undefined));
        response.on('error', () => resolve(undefined));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

// Paths end in '/': 18.16 appends file names to them. Caches shrink from the 5–8 GiB defaults to
// 64 MiB; no query_log or dictionaries. Keep-alive is 3 s (Debian's shipped value): the server
// waits for idle connections before it exits, so the built-in 10 s would outlast launch's 10 s
// stop grace, and 3 s stays above @clickhouse/client's 2.5 s idle-socket TTL. users.xml is read
// next to config.xml; preprocessed copies of both land in the data folder.
function serverConfig(o: { http: number; tcp: number; data: string }): string {
  const data = o.data.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <console>1</console>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${o.http}</http_port>
  <tcp_port>${o.tcp}</tcp_port>
  <path>${data}/</path>
  <tmp_path>${data}/tmp/</tmp_path>
  <user_files_path>${data}/user_files/</user_files_path>
  <format_schema_path>${data}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_concurrent_queries>50</max_concurrent_queries>
  <keep_alive_timeout>3</keep_alive_timeout>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
</yandex>
`;
}

// One passwordless 'default' user reachable from loopback only; 2 GB per query, and 4 background
// merge threads instead of 16 (the pool size is a profile setting in 18.16).
const usersConfig = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <background_pool_size>4</background_pool_size>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`;
