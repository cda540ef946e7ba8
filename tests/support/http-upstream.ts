import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestUpstream {
  readonly name: string;
  readonly port: number;
  /** Requests this upstream has answered. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/**
 * A local HTTP server that answers every request with its own name: proof of where a request
 * went. `delayMs` (() => number, default none): how long each answer waits, for latency tests;
 * `status` ((request) => number, default 200): each answer's status, for error tests.
 */
export async function startUpstream(
  name: string,
  options: { delayMs?: () => number; status?: (request: http.IncomingMessage) => number } = {},
): Promise<TestUpstream> {
  let hits = 0;
  const server = http.createServer((request, response) => {
    hits++;
    request.resume();
    const answer = () => {
      response.writeHead(options.status?.(request) ?? 200, {
        'content-type': 'text/plain',
        'x-upstream': name,
      });
      response.end(name);
    };
    const delay = options.delayMs?.() ?? 0;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    port,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
