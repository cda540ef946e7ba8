import { mulberry32 } from '../../lib/random.ts';
/**
 * A synthetic cluster driven by `decide`, second by second, for the policy's scenario tests:
 * traffic follows the weights in force (share = weight / sum), latency grows with load, and the
 * statistics of each second reach the policy `lagS` seconds after it ends, as the rollup's 1-s
 * windows do.
 */
import { type ClusterPolicyState, decide } from '../../stream-jobs/policy/math/decide.ts';
import {
  type CallTotals,
  dependencyHealthOf,
  dependencyWindowMs,
} from '../../stream-jobs/policy/observations.ts';
import { defaultPolicyOptions, type PolicyOptions } from '../../stream-jobs/policy/options.ts';
import type {
  ClusterObservation,
  DecisionReason,
  EndpointObservation,
} from '../../stream-jobs/policy/types.ts';
import { clusterSpec, endpointName, T0 } from './policy-support.ts';

/** S1 ×5 latency, S2 10% take 1 s, S3 50% fast 503s, S4 every request 2 s (bench/loop). */
export type FaultKind = 'slow' | 'tail' | 'fail' | 'stall' | 'none';

export interface SimOptions {
  readonly seconds: number;
  readonly endpoints?: number;
  readonly rateRps?: number;
  readonly lagS?: number;
  /** Which endpoints are faulty when: endpoint index → kind, for t in [fromS, toS). */
  readonly faults?: readonly { index: number; kind: FaultKind; fromS: number; toS: number }[];
  /** Requests per second one endpoint serves before its queue explodes (latency × 1/(1−ρ)). */
  readonly capacityRps?: number;
  readonly seed?: number;
  readonly options?: PolicyOptions;
  /**
   * Like the bench's Envoy route timeout: a request slower than this is answered 504 (an error)
   * after this long. Undefined: no timeout (requests take what they take).
   */
  readonly timeoutMs?: number;
  /**
   * Each request's statistics land in the window of the second it completes in (as access logs
   * are written when the response ends), not the second it arrived in: a 2-s request is seen
   * two windows late. Off by default: the scenario tests' figures predate it.
   */
  readonly atCompletion?: boolean;
  /** How much slower the `slow` fault makes an endpoint (default 5, S1). */
  readonly slowFactor?: number;
  /**
   * Each request an endpoint serves makes one call to a dependency `db`, at 5 ms; the endpoint
   * hides the call's failure (its own answer is fine). Endpoint index → the share of its calls
   * failing for t in [fromS, toS). The calls reach the policy as the job derives them:
   * dependencyHealthOf over the last dependencyWindowMs of windows. None: no calls simulated.
   */
  readonly dependencyFaults?: readonly {
    index: number;
    errorRate: number;
    fromS: number;
    toS: number;
  }[];
}

export interface SimSecond {
  readonly t: number;
  readonly weights: readonly number[];
  readonly shares: readonly number[];
  readonly reasons: readonly DecisionReason[];
  readonly changed: boolean;
  /** Requests each endpoint received in this second (Poisson draws of rate × the shares in force). */
  readonly requests: readonly number[];
  /** Requests in this second that met a fault: a slow one (tail), any (stall), a 503 (fail). */
  readonly faultHits: number;
}

export function simulate(sim: SimOptions): SimSecond[] {
  const n = sim.endpoints ?? 4;
  const rate = sim.rateRps ?? 200;
  const lag = sim.lagS ?? 2;
  const capacity = sim.capacityRps ?? 400;
  const options = sim.options ?? defaultPolicyOptions;
  const random = seeded(sim.seed ?? 7);
  const names = Array.from({ length: n }, (_, i) => endpointName(i));
  const spec = clusterSpec(n);
  const faultAt = (i: number, t: number): FaultKind =>
    sim.faults?.find((f) => f.index === i && t >= f.fromS && t < f.toS)?.kind ?? 'none';

  const dependencyErrorRate = (i: number, t: number) =>
    sim.dependencyFaults?.find((f) => f.index === i && t >= f.fromS && t < f.toS)?.errorRate ?? 0;
  /** Per second, per endpoint: its calls to the dependency (when dependencyFaults is set). */
  const calls: CallTotals[][] = [];
  /** Per window (second of completion), per endpoint: the requests' latencies and errors. */
  const windows: Served[][] = [];
  const windowOf = (t: number) => {
    windows[t] ??= names.map(() => ({ latencies: [], errors: 0 }));
    return windows[t];
  };
  let weights = names.map(() => 1);
  let state: ClusterPolicyState | undefined;
  const out: SimSecond[] = [];
  for (let t = 0; t < sim.seconds; t++) {
    const total = weights.reduce((a, b) => a + b, 0);
    const shares = weights.map((w) => (total > 0 ? w / total : 0));
    let faultHits = 0;
    // Each endpoint's arrivals, then its requests, in the order the random numbers were drawn
    // before the simulation recorded requests (the scenario tests' runs stay the same).
    const arrived = names.map((_, i) => {
      const requests = poisson(random, rate * (shares[i] ?? 0));
      for (const r of serve(requests, faultAt(i, t), capacity, random, sim.slowFactor ?? 5)) {
        const timedOut = sim.timeoutMs !== undefined && r.latencyMs > sim.timeoutMs;
        const latencyMs = timedOut ? (sim.timeoutMs ?? 0) : r.latencyMs;
        if (r.hit) faultHits++;
        const at = sim.atCompletion ? t + Math.floor(latencyMs / 1000) : t;
        const served = windowOf(at)[i] as Served;
        served.latencies.push(latencyMs);
        if (r.error || timedOut) served.errors++;
      }
      return requests;
    });
    if (sim.dependencyFaults) {
      calls[t] = arrived.map((requests, i) => {
        let errors = 0;
        const rate = dependencyErrorRate(i, t);
        for (let r = 0; r < requests; r++) if (rate > 0 && random() < rate) errors++;
        return { requests, errors, durationSumUs: requests * 5_000 };
      });
    }
    const ready = t - lag;
    const observation: ClusterObservation | undefined =
      ready >= 0
        ? {
            cluster: 'llm',
            dataUpToMs: T0 + (ready + 1) * 1000,
            endpoints: windowOf(ready).map((w, i) => observe(names[i] ?? '', w)),
            ...(sim.dependencyFaults && {
              dependencyHealth: healthOf(calls, ready, names, options),
            }),
          }
        : undefined;
    const nowMs = T0 + (t + 1) * 1000;
    const result = decide({
      spec,
      observation,
      previous: state,
      pins: new Map(),
      nowMs,
      dryRun: false,
      options,
    });
    state = result.state;
    weights = result.decision.endpoints.map((e) => e.weight);
    const after = weights.reduce((a, b) => a + b, 0);
    out.push({
      t: t + 1,
      weights,
      shares: weights.map((w) => w / after),
      reasons: result.decision.endpoints.map((e) => e.reason),
      changed: result.changed,
      requests: arrived,
      faultHits,
    });
  }
  return out;
}

/** The job's view of the calls: dependency health over the windows of the last few seconds. */
function healthOf(
  calls: readonly CallTotals[][],
  ready: number,
  names: readonly string[],
  options: PolicyOptions,
): Map<string, number> {
  const sums = new Map(names.map((name) => [name, { requests: 0, errors: 0, durationSumUs: 0 }]));
  for (let t = Math.max(0, ready - dependencyWindowMs / 1000 + 1); t <= ready; t++) {
    calls[t]?.forEach((c, i) => {
      const sum = sums.get(names[i] ?? '');
      if (!sum) return;
      sum.requests += c.requests;
      sum.errors += c.errors;
      sum.durationSumUs += c.durationSumUs;
    });
  }
  return dependencyHealthOf(
    new Map([...sums].map(([name, sum]) => [name, new Map([['db', sum]])])),
    options,
  );
}

interface Served {
  readonly latencies: number[];
  errors: number;
}

interface Request {
  readonly latencyMs: number;
  readonly error: boolean;
  /** It met the fault (a slow, stalled or failed request). */
  readonly hit: boolean;
}

/** One endpoint's second: `requests` requests under `fault`, at the load they put on it. */
function serve(
  requests: number,
  fault: FaultKind,
  capacity: number,
  random: () => number,
  slowFactor: number,
): Request[] {
  const load = Math.min(0.9, requests / capacity);
  const served: Request[] = [];
  for (let r = 0; r < requests; r++) {
    const service = 10 * Math.exp(0.5 * gaussian(random));
    if (fault === 'fail' && random() < 0.5) served.push({ latencyMs: 0.5, error: true, hit: true });
    else if (fault === 'tail' && random() < 0.1)
      served.push({ latencyMs: 1000, error: false, hit: true });
    else if (fault === 'stall') served.push({ latencyMs: 2000, error: false, hit: true });
    else {
      const latencyMs = (service * (fault === 'slow' ? slowFactor : 1)) / (1 - load);
      served.push({ latencyMs, error: false, hit: fault === 'slow' });
    }
  }
  return served;
}

/** A window's requests of one endpoint, as the rollup summarises them. */
function observe(endpoint: string, served: Served): EndpointObservation {
  const requests = served.latencies.length;
  if (requests === 0) return { endpoint, requests: 0, errors: 0 };
  const latencies = [...served.latencies].sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(requests - 1, Math.floor(q * requests))] ?? 0;
  const mean = latencies.reduce((a, b) => a + b, 0) / requests;
  return {
    endpoint,
    requests,
    errors: served.errors,
    latencyMs: { mean, p50: at(0.5), p90: at(0.9), p99: at(0.99) },
  };
}

/** mulberry32 (lib/random.ts): the same run every time. */
export const seeded = mulberry32;

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function poisson(random: () => number, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}
