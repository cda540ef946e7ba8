/**
 * The synthetic mesh of the graph benchmark (pure and seeded: unit-tested). A layered topology,
 * as service meshes are built: an ingress calls every service of the first tier; each service
 * calls services of deeper tiers (mostly the next one); callees are picked with a skew, so each
 * tier has a few hubs (an auth or a database that many call) and a long tail; 0.2% of calls are
 * answered by a call back (a ⇄ b: small cycles, as real meshes have). The last tier calls
 * nothing but such call-backs. Each service has `endpointsPerService` endpoints.
 */

import { mulberry32 } from '../../stream-jobs/graph/analyses/rng.ts';
import { ingressNode } from '../../stream-jobs/graph/model.ts';

export interface TopologyOptions {
  /** Services (the ingress comes on top). */
  readonly services: number;
  /** `calls` edges, the ingress's included. */
  readonly edges: number;
  readonly tiers: number;
  readonly endpointsPerService: number;
  readonly seed: number;
}

export interface CallEdge {
  readonly source: string;
  readonly target: string;
  /** Requests per second. */
  readonly rate: number;
  /** Which latency profile (index into the sketch pool, windows.ts). */
  readonly latency: number;
}

export interface Endpoint {
  readonly service: string;
  /** `host:port`. */
  readonly endpoint: string;
  /** A caller of the service, the `source_service` its endpoint windows carry. */
  readonly caller: string;
  readonly rate: number;
  readonly latency: number;
}

export interface Topology {
  readonly services: readonly string[];
  readonly calls: readonly CallEdge[];
  readonly endpoints: readonly Endpoint[];
  /** A hub in the middle tier whose inbound calls start failing halfway (root-cause input). */
  readonly incident: string;
  /** The incident's busiest caller: a symptom whose root cause is the incident. */
  readonly incidentCaller: string;
}

/** Latency profiles in the sketch pool (windows.ts). */
export const latencyProfiles = 32;
const mutualShare = 0.002;

export const serviceName = (i: number, width: number) => `svc-${String(i).padStart(width, '0')}`;

/** Standard normal by Box–Muller, from a uniform generator. */
function gaussian(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function checkTopologyOptions(o: TopologyOptions): void {
  const bad = (why: string) => new Error(`topology: ${why}`);
  if (o.tiers < 2) throw bad(`--tiers must be at least 2, got ${o.tiers}`);
  if (o.services < 2 * o.tiers) throw bad(`--services must be at least 2 × tiers (${2 * o.tiers})`);
  const tier = Math.floor(o.services / o.tiers);
  // Pairs reachable forward (each caller tier → every deeper tier), plus the ingress's edges.
  const room = (tier * tier * (o.tiers * (o.tiers - 1))) / 2 + tier;
  if (o.edges < tier) throw bad(`--edges must be at least one tier (${tier}), got ${o.edges}`);
  if (o.edges > room / 2) throw bad(`--edges ${o.edges} is over half the ${room} possible calls`);
}

/** The mesh for `o`: the same options give the same mesh on every machine. */
export function generateTopology(o: TopologyOptions): Topology {
  checkTopologyOptions(o);
  const rng = mulberry32(o.seed);
  const width = String(o.services - 1).length;
  const services = Array.from({ length: o.services }, (_, i) => serviceName(i, width));
  const tier = Math.floor(o.services / o.tiers);
  // Tier t holds services [t·tier, (t+1)·tier), the last one the remainder too.
  const tierStart = (t: number) => t * tier;
  const tierSize = (t: number) => (t === o.tiers - 1 ? o.services - tierStart(t) : tier);
  const calls: CallEdge[] = [];
  const seen = new Set<string>();
  const callers = new Map<string, string>();
  const add = (source: string, target: string): boolean => {
    const key = `${source}\u0000${target}`;
    if (source === target || seen.has(key) || calls.length >= o.edges) return false;
    seen.add(key);
    // Rates: log-normal around 5 req/s (0.1 to ~150 req/s in practice).
    const rate = Math.round(Math.exp(Math.log(5) + gaussian(rng)) * 100) / 100 + 0.1;
    calls.push({ source, target, rate, latency: Math.floor(rng() * latencyProfiles) });
    if (!callers.has(target)) callers.set(target, source);
    return true;
  };
  for (let i = 0; i < tierSize(0); i++) add(ingressNode, services[i] as string);
  const lastCaller = tierStart(o.tiers - 1); // the last tier calls nothing
  while (calls.length < o.edges) {
    const i = Math.floor(rng() * lastCaller);
    const t = Math.floor(i / tier);
    // 75% the next tier, the rest any deeper one.
    const deeper = o.tiers - 2 - t;
    const to = rng() < 0.75 || deeper === 0 ? t + 1 : t + 2 + Math.floor(rng() * deeper);
    // Skewed pick (u²): index 0 is the tier's hub, the tail is called rarely.
    const j = tierStart(to) + Math.floor(tierSize(to) * rng() ** 2);
    const source = services[i] as string;
    const target = services[j] as string;
    if (add(source, target) && rng() < mutualShare) add(target, source);
  }
  const inbound = new Map<string, number>();
  for (const c of calls) inbound.set(c.target, (inbound.get(c.target) ?? 0) + c.rate);
  const endpoints: Endpoint[] = [];
  services.forEach((service, i) => {
    const rate = (inbound.get(service) ?? 1) / o.endpointsPerService;
    for (let k = 0; k < o.endpointsPerService; k++) {
      const host = `10.${k % 256}.${(i >> 8) & 255}.${i & 255}:8080`;
      const caller = callers.get(service) ?? ingressNode;
      endpoints.push({ service, endpoint: host, caller, rate, latency: (i + k) % latencyProfiles });
    }
  });
  const incident = services[tierStart(Math.floor(o.tiers / 2))] as string;
  const into = calls.filter((c) => c.target === incident).sort((a, b) => b.rate - a.rate);
  return { services, calls, endpoints, incident, incidentCaller: into[0]?.source ?? ingressNode };
}
