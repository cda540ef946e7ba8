import type { Fields, Reader, Val } from './reader.ts';
import type { RouteConfig, RouteMatch } from './types.ts';
import { readRetries } from './validate-retries.ts';

const routeKeys = ['name', 'match', 'cluster', 'split', 'timeout', 'retries'] as const;
/** RFC 9110 token characters; a leading ':' admits HTTP/2 pseudo-headers (`:authority`). */
const headerNamePattern = /^:?[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const uint32Max = 4_294_967_295;

export interface ReadRoute {
  /** Undefined where the name is missing or not a string (already reported). */
  readonly name: string | undefined;
  /** Where the name was written, for the mesh-wide uniqueness check. */
  readonly nameVal: Val | undefined;
  readonly config: RouteConfig;
}

/** One route; `clusters` are the declared cluster names every destination must be among. */
export function readRoute(r: Reader, v: Val, clusters: readonly string[]): ReadRoute | undefined {
  const fields = r.map(v, routeKeys);
  if (fields === undefined) return undefined;
  const nameVal = fields.need('name');
  const name = r.name(nameVal);
  const label = name === undefined ? 'this route' : `route '${name}'`;
  const timeoutMs = r.duration(fields.get('timeout')) ?? 15_000;
  const retries = readRetries(r, fields.get('retries'), timeoutMs);
  const config: RouteConfig = {
    name: name ?? '',
    match: readMatch(r, fields.get('match')),
    destination: readDestination(r, fields, label, clusters),
    timeoutMs,
    ...(retries && { retries }),
  };
  return { name, nameVal, config };
}

/** Absent → every request (`prefix: /`); headers must all match exactly. */
function readMatch(r: Reader, v: Val | undefined): RouteMatch {
  const fields = r.map(v, ['prefix', 'headers']);
  const prefixVal = fields?.get('prefix');
  const prefix = r.str(prefixVal);
  if (prefixVal !== undefined && prefix !== undefined && !prefix.startsWith('/')) {
    r.fail(prefixVal, `prefix '${prefix}' must start with '/'`);
  }
  const headers = (r.seq(fields?.get('headers'), 1, 'header') ?? []).flatMap((item) => {
    const header = r.map(item, ['name', 'exact']);
    if (header === undefined) return [];
    const nameVal = header.need('name');
    const headerName = r.str(nameVal);
    if (nameVal !== undefined && headerName !== undefined && !headerNamePattern.test(headerName)) {
      r.fail(nameVal, `'${headerName}' is not a valid HTTP header name`);
    }
    return [{ name: headerName ?? '', exact: r.str(header.need('exact')) ?? '' }];
  });
  return { prefix: prefix ?? '/', headers };
}

function readDestination(
  r: Reader,
  fields: Fields,
  label: string,
  clusters: readonly string[],
): RouteConfig['destination'] {
  const clusterVal = fields.get('cluster');
  const splitVal = fields.get('split');
  if (clusterVal === undefined && splitVal === undefined) {
    r.fail(fields.at, `${label} needs a destination: give cluster or split`);
  }
  if (clusterVal !== undefined && splitVal !== undefined) {
    r.fail(fields.at, `${label} gives both cluster and split; keep one`);
  }
  const known = (v: Val | undefined): string => {
    const cluster = r.str(v);
    if (v !== undefined && cluster !== undefined && !clusters.includes(cluster)) {
      const list = clusters.length === 0 ? '(none)' : clusters.join(', ');
      r.fail(v, `${label} sends to unknown cluster '${cluster}'; known: ${list}`);
    }
    return cluster ?? '';
  };
  const split = splitVal === undefined ? undefined : readSplit(r, splitVal, known);
  if (clusterVal !== undefined || split === undefined) {
    return { kind: 'cluster', cluster: known(clusterVal) };
  }
  return { kind: 'split', clusters: split };
}

/** At least two distinct clusters; weights are relative, so only their sum must be positive. */
function readSplit(r: Reader, v: Val, known: (v: Val | undefined) => string) {
  const seen = new Set<string>();
  const entries = (r.seq(v, 2, 'cluster') ?? []).flatMap((item) => {
    const fields = r.map(item, ['cluster', 'weight']);
    if (fields === undefined) return [];
    const clusterVal = fields.need('cluster');
    const cluster = known(clusterVal);
    if (clusterVal !== undefined && cluster !== '' && seen.has(cluster)) {
      r.fail(clusterVal, `cluster '${cluster}' appears twice in this split`);
    }
    seen.add(cluster);
    return [{ cluster, weight: r.int(fields.need('weight'), 0, uint32Max) ?? 1 }];
  });
  if (entries.length >= 2 && entries.every((entry) => entry.weight === 0)) {
    r.fail(v, 'split weights sum to 0; at least one must be positive');
  }
  return entries;
}
