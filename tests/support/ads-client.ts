/**
 * A test-side ADS client over real gRPC: one stream with a queue of received messages, so a test
 * awaits the next message (readiness) instead of sleeping. Absence of a message is shown by
 * ordering: a later request that must be answered is answered first.
 */

import { type ClientDuplexStream, credentials } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { AggregatedDiscoveryServiceClient } from '../../schemas/gen/envoy/envoy/service/discovery/v3/ads.ts';
import {
  DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  DiscoveryRequest,
  type DiscoveryResponse,
} from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';

export class TestStream<Req, Res> {
  /** Every message received, in order. */
  readonly received: Res[] = [];
  readonly #queue: Res[] = [];
  readonly #waiters: { resolve: (r: Res) => void; reject: (e: Error) => void }[] = [];
  #failure: Error | undefined;
  readonly call: ClientDuplexStream<Req, Res>;

  constructor(call: ClientDuplexStream<Req, Res>) {
    this.call = call;
    call.on('data', (message: Res) => {
      this.received.push(message);
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(message);
      else this.#queue.push(message);
    });
    const fail = (error: Error) => {
      this.#failure = error;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    };
    call.on('error', fail);
    call.on('end', () => fail(new Error('stream ended')));
  }

  send(request: Req): void {
    this.call.write(request);
  }

  /** The next message; rejects after `timeoutMs` (a guard against hanging, not a wait). */
  next(timeoutMs = 5000): Promise<Res> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (r: Res) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Messages received but not yet taken with next(). */
  get queued(): number {
    return this.#queue.length;
  }

  close(): void {
    this.call.cancel();
  }
}

export function adsClient(port: number): AggregatedDiscoveryServiceClient {
  return new AggregatedDiscoveryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
}

export function sotwStream(client: AggregatedDiscoveryServiceClient) {
  return new TestStream<DiscoveryRequest, DiscoveryResponse>(client.streamAggregatedResources());
}

export function deltaStream(client: AggregatedDiscoveryServiceClient) {
  return new TestStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(
    client.deltaAggregatedResources(),
  );
}

/** A SotW request; `error` makes it a NACK. */
export function sotwRequest(
  nodeId: string,
  typeUrl: string,
  options: { names?: string[]; version?: string; nonce?: string; error?: string } = {},
): DiscoveryRequest {
  return DiscoveryRequest.fromPartial({
    node: { id: nodeId, cluster: 'test-cluster' },
    typeUrl,
    resourceNames: options.names ?? [],
    versionInfo: options.version ?? '',
    responseNonce: options.nonce ?? '',
    errorDetail: options.error === undefined ? undefined : { code: 3, message: options.error },
  });
}

/** A delta request; `error` makes it a NACK. */
export function deltaRequest(
  nodeId: string,
  typeUrl: string,
  options: {
    subscribe?: string[];
    unsubscribe?: string[];
    initial?: Record<string, string>;
    nonce?: string;
    error?: string;
  } = {},
): DeltaDiscoveryRequest {
  return DeltaDiscoveryRequest.fromPartial({
    node: { id: nodeId, cluster: 'test-cluster' },
    typeUrl,
    resourceNamesSubscribe: options.subscribe ?? [],
    resourceNamesUnsubscribe: options.unsubscribe ?? [],
    initialResourceVersions: options.initial ?? {},
    responseNonce: options.nonce ?? '',
    errorDetail: options.error === undefined ? undefined : { code: 3, message: options.error },
  });
}

/** A metric's value for `labels` (0 when absent); for a histogram, its observation count. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metricValue: no metric "${name}" in the registry`);
  const { values } = await metric.get();
  const wanted = Object.entries(labels);
  const matches = values.filter((v) => {
    const labelsMatch = wanted.every(
      ([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want,
    );
    // A histogram reports buckets, sum and count; its count is the number of observations.
    const metricName = (v as { metricName?: string | null }).metricName;
    return labelsMatch && (!metricName || metricName.endsWith('_count'));
  });
  return matches.reduce((sum, v) => sum + v.value, 0);
}
