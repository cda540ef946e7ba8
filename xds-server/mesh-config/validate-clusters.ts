import { isScalar } from 'yaml';
import { parseHostPort } from './addresses.ts';
import { type Reader, uniqueNames, type Val } from './reader.ts';
import type {
  CircuitBreakersConfig,
  ClusterConfig,
  EndpointConfig,
  LbPolicy,
  OutlierDetectionConfig,
} from './types.ts';
import { maxEndpointWeight } from './types.ts';

const clusterKeys = [
  'name',
  'endpoints',
  'lbPolicy',
  'connectTimeout',
  'policy',
  'http2',
  'outlierDetection',
  'circuitBreakers',
] as const;
const lbPolicies: readonly LbPolicy[] = [
  'round_robin',
  'least_request',
  'random',
  'ring_hash',
  'maglev',
];
/** Envoy's protobuf fields for these limits are uint32. */
const uint32Max = 4_294_967_295;

/** Every cluster entry that is a mapping, in file order (names may repeat: reported here). */
export function readClusters(r: Reader, v: Val | undefined): ClusterConfig[] {
  const claim = uniqueNames(r, 'cluster');
  const clusters: ClusterConfig[] = [];
  for (const item of r.seq(v, 1, 'cluster') ?? []) {
    const fields = r.map(item, clusterKeys);
    if (fields === undefined) continue;
    const nameVal = fields.need('name');
    const name = r.name(nameVal);
    claim(name, nameVal);
    const outlier = readOutlierDetection(r, fields.get('outlierDetection'));
    const breakers = readCircuitBreakers(r, fields.get('circuitBreakers'));
    clusters.push({
      name: name ?? '',
      endpoints: readEndpoints(r, fields.need('endpoints')),
      // Envoy's own default: no surprise for anyone who knows Envoy clusters.
      lbPolicy: r.oneOf(fields.get('lbPolicy'), lbPolicies) ?? 'round_robin',
      connectTimeoutMs: r.duration(fields.get('connectTimeout')) ?? 5000,
      policy: r.oneOf(fields.get('policy'), ['static', 'adaptive'] as const) ?? 'static',
      http2: r.bool(fields.get('http2')) ?? false,
      ...(outlier && { outlierDetection: outlier }),
      ...(breakers && { circuitBreakers: breakers }),
    });
  }
  return clusters;
}

/** `"host:port"` or `{ address: "host:port", weight }`; the short form has weight 1. */
function readEndpoints(r: Reader, v: Val | undefined): EndpointConfig[] {
  const seen = new Set<string>();
  const endpoints: EndpointConfig[] = [];
  for (const item of r.seq(v, 1, 'endpoint') ?? []) {
    const long = isScalar(item.node) ? undefined : r.map(item, ['address', 'weight']);
    if (!isScalar(item.node) && long === undefined) continue;
    const addressVal = long === undefined ? item : long.need('address');
    const address = r.str(addressVal);
    if (addressVal === undefined || address === undefined) continue;
    const parsed = parseHostPort(address, true);
    if (typeof parsed === 'string') {
      r.fail(addressVal, parsed);
      continue;
    }
    const key = `${parsed.host}:${parsed.port}`;
    if (seen.has(key)) r.fail(addressVal, `endpoint '${key}' is listed twice in this cluster`);
    seen.add(key);
    endpoints.push({ ...parsed, weight: r.int(long?.get('weight'), 1, maxEndpointWeight) ?? 1 });
  }
  return endpoints;
}

/** Absent → no outlier detection; `{}` → Envoy's defaults, spelled out. */
function readOutlierDetection(r: Reader, v: Val | undefined): OutlierDetectionConfig | undefined {
  const keys = ['consecutive5xx', 'interval', 'baseEjectionTime', 'maxEjectionPercent'];
  const fields = r.map(v, keys);
  if (fields === undefined) return undefined;
  return {
    consecutive5xx: r.int(fields.get('consecutive5xx'), 1, uint32Max) ?? 5,
    intervalMs: r.duration(fields.get('interval')) ?? 10_000,
    baseEjectionTimeMs: r.duration(fields.get('baseEjectionTime')) ?? 30_000,
    maxEjectionPercent: r.int(fields.get('maxEjectionPercent'), 0, 100) ?? 10,
  };
}

/** Absent limits stay absent so that Envoy's defaults (1024 each, 3 retries) apply. */
function readCircuitBreakers(r: Reader, v: Val | undefined): CircuitBreakersConfig | undefined {
  const keys = ['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRetries'] as const;
  const fields = r.map(v, keys);
  if (fields === undefined) return undefined;
  const limits: Record<string, number> = {};
  for (const key of keys) {
    // Zero connections or requests would refuse all traffic; zero retries is a real choice.
    const value = r.int(fields.get(key), key === 'maxRetries' ? 0 : 1, uint32Max);
    if (value !== undefined) limits[key] = value;
  }
  return limits as CircuitBreakersConfig;
}
