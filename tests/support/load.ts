import http from 'node:http';

export interface LoadResult {
  sent: number;
  /** status code (or 'error: <code>') → count */
  outcomes: Map<string, number>;
  /** Response bodies (upstream names) → count, for 2xx answers. */
  bodies: Map<string, number>;
  failed: number;
}

function emptyResult(): LoadResult {
  return { sent: 0, outcomes: new Map(), bodies: new Map(), failed: 0 };
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** One GET, its outcome counted into `result`; never rejects. */
function requestOnce(
  agent: http.Agent,
  port: number,
  path: string,
  result: LoadResult,
  headers: http.OutgoingHttpHeaders = {},
): Promise<void> {
  result.sent++;
  return new Promise<void>((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path, agent, headers, timeout: 10_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          count(result.outcomes, String(status));
          if (status >= 200 && status < 300) count(result.bodies, body);
          else result.failed++;
          resolve();
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      count(result.outcomes, `error: ${error.code ?? error.message}`);
      result.failed++;
      resolve();
    });
  });
}

/**
 * Open-loop load: requests leave on schedule (`rate` per second) however earlier ones fare, over
 * keep-alive connections, until `stop()`; bounded by `maxRequests` so it always ends.
 */
export function startLoad(options: {
  port: number;
  rate: number;
  path?: string;
  maxRequests?: number;
  headers?: http.OutgoingHttpHeaders;
}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const result = emptyResult();
  const inflight = new Set<Promise<void>>();
  const max = options.maxRequests ?? 100_000;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const due = Math.floor(((performance.now() - started) * options.rate) / 1000);
    while (result.sent < due && result.sent < max) {
      const done = requestOnce(agent, options.port, options.path ?? '/', result, options.headers);
      inflight.add(done);
      void done.then(() => inflight.delete(done));
    }
    timer = result.sent < max ? setTimeout(tick, 2) : undefined;
  };
  tick();
  return {
    result,
    async stop(): Promise<LoadResult> {
      if (timer) clearTimeout(timer);
      await Promise.all(inflight);
      agent.destroy();
      return result;
    },
  };
}

/** Sends `n` requests, at most `concurrency` at a time, and counts where they went. */
export async function sendRequests(
  port: number,
  n: number,
  concurrency = 16,
  path = '/',
  headers: http.OutgoingHttpHeaders = {},
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result = emptyResult();
  const worker = async () => {
    while (result.sent < n) await requestOnce(agent, port, path, result, headers);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return result;
}
