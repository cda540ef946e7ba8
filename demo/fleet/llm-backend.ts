import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { closeServer, FaultControl, listen } from './service.ts';

/**
 * Options for {@link startLlmBackend}.
 * - `name` (string, required): the backend's service name (answers carry it as `id` prefix).
 * - `model` (string, default `name`): reported in the body and in `x-meshgraph-model`.
 * - `port` (number, default 0: any free port): where it listens, on 127.0.0.1.
 * - `completionTokens` (() => number, default 16–64 uniform): tokens generated per answer.
 * - `baseLatencyMs` (number, default 2): time to first token.
 * - `msPerToken` (number, default 0.1): generation time per completion token, so latency grows
 *   with the answer as it does for a real model (kept small: tests run many requests).
 * - `fault` (FaultControl, default a new one, no fault): extra latency and 503s.
 */
export interface LlmBackendOptions {
  name: string;
  model?: string;
  port?: number;
  completionTokens?: () => number;
  baseLatencyMs?: number;
  msPerToken?: number;
  fault?: FaultControl;
}

export interface RunningLlmBackend {
  readonly name: string;
  readonly port: number;
  readonly fault: FaultControl;
  close(): Promise<void>;
}

/** About four characters per token, the usual rule of thumb for English text. */
function promptTokensOf(body: string): number {
  try {
    const parsed = JSON.parse(body) as { messages?: { content?: unknown }[] };
    const text = (parsed.messages ?? []).map((m) => String(m.content ?? '')).join(' ');
    return Math.max(1, Math.ceil(text.length / 4));
  } catch {
    return Math.max(1, Math.ceil(body.length / 4));
  }
}

/**
 * An OpenAI-compatible `/v1/chat/completions` stub (any path ending in it, so it can sit behind
 * an Envoy route prefix such as `/llm-a`). It reports token usage both in the JSON body (as the
 * API does) and in response headers, which Envoy logs and the collector reads.
 */
export async function startLlmBackend(options: LlmBackendOptions): Promise<RunningLlmBackend> {
  const fault = options.fault ?? new FaultControl();
  const model = options.model ?? options.name;
  const completionTokens = options.completionTokens ?? (() => 16 + Math.floor(Math.random() * 49));
  const baseLatencyMs = options.baseLatencyMs ?? 2;
  const msPerToken = options.msPerToken ?? 0.1;
  let served = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        if (!path.endsWith('/v1/chat/completions')) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `no route ${path}` } }));
          return;
        }
        const prompt = promptTokensOf(body);
        const completion = Math.max(0, Math.round(completionTokens()));
        await delay(baseLatencyMs + msPerToken * completion + fault.current.extraLatencyMs);
        if (fault.fails()) {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
          return;
        }
        served++;
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-meshgraph-model': model,
          'x-meshgraph-prompt-tokens': String(prompt),
          'x-meshgraph-completion-tokens': String(completion),
        });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${options.name}-${served}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'lorem '.repeat(completion).trim() },
                finish_reason: 'stop',
              },
            ],
            usage: {
              prompt_tokens: prompt,
              completion_tokens: completion,
              total_tokens: prompt + completion,
            },
          }),
        );
      })();
    });
  });
  const port = await listen(server, options.port ?? 0);
  return { name: options.name, port, fault, close: () => closeServer(server) };
}
