import { Command } from 'commander';
import { UsageError } from './errors.ts';

const adminOption = [
  '--admin <url>',
  'the xds-server admin API (env MESHGRAPH_XDS_ADMIN)',
] as const;
const tokenOption = [
  '--token <token>',
  'bearer token for mutations (env MESHGRAPH_TOKEN)',
] as const;

interface ClientOptions {
  admin?: string;
  token?: string;
}

/** `name=weight` pairs → a weight map; a malformed pair is a usage error quoting it. */
export function parseWeights(pairs: readonly string[]): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const pair of pairs) {
    const at = pair.lastIndexOf('=');
    const key = pair.slice(0, at);
    const value = Number(pair.slice(at + 1));
    if (at <= 0 || !Number.isInteger(value) || value < 0 || value > 128) {
      throw new UsageError(`expected NAME=WEIGHT with WEIGHT an integer 0..128, got '${pair}'`);
    }
    if (key in weights) throw new UsageError(`'${key}' is given twice`);
    weights[key] = value;
  }
  return weights;
}

async function call(
  method: string,
  path: string,
  options: ClientOptions,
  body?: unknown,
): Promise<void> {
  const admin = options.admin ?? process.env.MESHGRAPH_XDS_ADMIN ?? 'http://127.0.0.1:18001';
  const token = options.token ?? process.env.MESHGRAPH_TOKEN;
  let response: Response;
  try {
    response = await fetch(new URL(path, admin), {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the xds-server admin API at ${admin}: ${(error as Error).message}`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const parsed = safeJson(text) as { error?: { code: string; message: string } } | undefined;
    throw new Error(
      parsed?.error
        ? `${parsed.error.code}: ${parsed.error.message}`
        : `HTTP ${response.status}: ${text}`,
    );
  }
  process.stdout.write(`${text}\n`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function weightsCommand(): Command {
  const weights = new Command('weights').description(
    'set or clear routing weights on a running xds-server',
  );
  weights
    .command('set')
    .description(
      'set endpoint weights of a cluster, e.g. `weights set catalog 127.0.0.1:8081=80 127.0.0.1:8082=20` (0 = ejected)',
    )
    .argument('<cluster>')
    .argument('<endpoint=weight...>')
    .option(...adminOption)
    .option(...tokenOption)
    .action((cluster: string, pairs: string[], options: ClientOptions) =>
      call('PUT', `/v1/clusters/${encodeURIComponent(cluster)}/weights`, options, {
        weights: parseWeights(pairs),
      }),
    );
  weights
    .command('split')
    .description('set a route-level split, e.g. `weights split checkout v1=95 v2=5`')
    .argument('<route>')
    .argument('<cluster=weight...>')
    .option(...adminOption)
    .option(...tokenOption)
    .action((route: string, pairs: string[], options: ClientOptions) =>
      call('PUT', `/v1/routes/${encodeURIComponent(route)}/split`, options, {
        weights: parseWeights(pairs),
      }),
    );
  weights
    .command('clear')
    .description('back to the configured weights of a cluster (or, with --route, a route split)')
    .argument('<name>')
    .option('--route', 'NAME is a route, not a cluster', false)
    .option(...adminOption)
    .option(...tokenOption)
    .action((name: string, options: ClientOptions & { route: boolean }) =>
      call(
        'DELETE',
        options.route
          ? `/v1/routes/${encodeURIComponent(name)}/split`
          : `/v1/clusters/${encodeURIComponent(name)}/weights`,
        options,
      ),
    );
  weights
    .command('show')
    .description('print the routing the xds-server applies on top of the mesh config')
    .option(...adminOption)
    .action((options: ClientOptions) => call('GET', '/v1/routing', options));
  return weights;
}
