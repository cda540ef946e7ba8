/**
 * The faulty endpoint's weight, once a second, from both ends of the loop: what the xds-server
 * holds (GET /v1/routing: the weight meshgraph or the oracle set, absent = configured) and what
 * Envoy applies (admin /clusters: weight, and whether it is ejected by outlier detection or
 * marked unhealthy by the control plane, which is how weight 0 reaches Envoy).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { clusterName } from './scenarios.ts';

export interface WeightSample {
  /** Wall time of the sample, ms since the epoch. */
  readonly atMs: number;
  /** The routing state's weight at the xds-server; undefined = none set (configured weight). */
  readonly routing: number | undefined;
  /** Envoy's load-balancing weight of the endpoint; undefined = not known to Envoy (yet). */
  readonly envoy: number | undefined;
  /** Out of rotation in Envoy: outlier-ejected or unhealthy by EDS. */
  readonly out: boolean;
}

/** The weight Envoy balances with: 0 while out of rotation. */
export const effectiveWeight = (s: WeightSample): number | undefined => (s.out ? 0 : s.envoy);

interface ClustersJson {
  cluster_statuses?: {
    name: string;
    host_statuses?: {
      address?: { socket_address?: { address: string; port_value: number } };
      weight?: number;
      health_status?: { failed_outlier_check?: boolean; eds_health_status?: string };
    }[];
  }[];
}

async function json<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(900) });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** One sample of `endpoint` (`host:port`). */
export async function sampleWeight(
  endpoint: string,
  ports: { xdsAdmin: number; envoyAdmin: number },
): Promise<WeightSample> {
  const atMs = Date.now();
  const [routing, clusters] = await Promise.all([
    json<{ endpointWeights?: Record<string, Record<string, number>> }>(
      `http://127.0.0.1:${ports.xdsAdmin}/v1/routing`,
    ),
    json<ClustersJson>(`http://127.0.0.1:${ports.envoyAdmin}/clusters?format=json`),
  ]);
  const host = clusters?.cluster_statuses
    ?.find((c) => c.name === clusterName)
    ?.host_statuses?.find((h) => {
      const a = h.address?.socket_address;
      return a !== undefined && `${a.address}:${a.port_value}` === endpoint;
    });
  const health = host?.health_status;
  return {
    atMs,
    routing: routing?.endpointWeights?.[clusterName]?.[endpoint],
    envoy: host?.weight,
    out: health?.failed_outlier_check === true || health?.eds_health_status === 'UNHEALTHY',
  };
}

/** Samples every whole second until `untilMs` or `signal` aborts; resolves to the samples. */
export async function pollWeights(
  endpoint: string,
  ports: { xdsAdmin: number; envoyAdmin: number },
  untilMs: number,
  signal?: AbortSignal,
): Promise<WeightSample[]> {
  const samples: WeightSample[] = [];
  while (Date.now() < untilMs && !signal?.aborted) {
    samples.push(await sampleWeight(endpoint, ports));
    // 50 ms into the next second: a timer firing a little early still lands in that second.
    const now = Date.now();
    await sleep(Math.floor(now / 1000) * 1000 + 1050 - now);
  }
  return samples;
}
