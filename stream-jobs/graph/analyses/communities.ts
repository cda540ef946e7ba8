import louvainCjs, {
  type DetailedLouvainOutput,
  type LouvainOptions,
} from 'graphology-communities-louvain';
import type { AbstractGraph, Attributes } from 'graphology-types';
import type { Horizon, ServiceGraph } from '../model.ts';
import { mulberry32 } from './rng.ts';
import { callsProjection, compare } from './traffic.ts';
import { checkBoolean, checkHorizon, checkNumber, checkParams } from './validate.ts';

// The package is CommonJS (`module.exports = louvain`) but its types declare an ES default
// export, which NodeNext reads as `module.exports.default`; the default import is the function.
const louvain = louvainCjs as unknown as {
  detailed(
    graph: AbstractGraph,
    options?: LouvainOptions<Attributes, Attributes>,
  ): DetailedLouvainOutput;
};

const method = 'communities';

/**
 * - `horizon` (Horizon, default '5m'): the rates used as weights.
 * - `weighted` (boolean, default true): weight edges by rate, so services that talk a lot end up
 *   together; false counts every call edge once.
 * - `resolution` (number > 0, default 1): modularity resolution; above 1 gives smaller groups.
 * - `seed` (integer, default 1): seeds Louvain's node order, so the partition is reproducible.
 */
export interface CommunitiesOptions {
  horizon?: Horizon;
  weighted?: boolean;
  resolution?: number;
  seed?: number;
}

export interface Community {
  id: number;
  members: string[];
}

export interface Communities {
  /** Modularity of the partition (directed, per Dugué & Perez 2015). */
  modularity: number;
  /** Largest first; ids are 0..count-1 in that order. */
  communities: Community[];
  /** Node → community id. */
  membership: Record<string, number>;
}

/**
 * Groups of services that call each other more than chance: Louvain (Blondel et al. 2008) on the
 * call graph via graphology-communities-louvain. Endpoints are left out (they sit with their
 * service by construction). Complexity about O(E log V) in practice.
 */
export function communities(
  graph: ServiceGraph,
  params: Record<string, never> = {},
  options: CommunitiesOptions = {},
): Communities {
  checkParams(method, params);
  const horizon = checkHorizon(method, options.horizon);
  const weighted = checkBoolean(method, 'weighted', options.weighted, true);
  const resolution = checkNumber(method, 'resolution', options.resolution, 1, {
    min: 0,
    above: true,
  });
  const seed = checkNumber(method, 'seed', options.seed, 1, { integer: true });
  const projection = callsProjection(graph, horizon);

  let raw: Record<string, number>;
  let modularity = 0;
  if (projection.size === 0) {
    // Modularity is undefined without edges; every node is its own community.
    raw = Object.fromEntries(projection.nodes().map((node, i) => [node, i]));
  } else {
    const detailed = louvain.detailed(projection, {
      getEdgeWeight: weighted ? 'weight' : null,
      resolution,
      rng: mulberry32(seed),
    });
    raw = detailed.communities;
    modularity = detailed.modularity;
  }

  // Louvain's ids depend on visiting order; renumber by size then first member for stable output.
  const groups = new Map<number, string[]>();
  for (const node of projection.nodes()) {
    const id = raw[node] as number;
    const group = groups.get(id) ?? [];
    group.push(node);
    groups.set(id, group);
  }
  const sorted = [...groups.values()].map((members) => members.sort(compare));
  sorted.sort((a, b) => b.length - a.length || compare(a[0] as string, b[0] as string));
  const membership: Record<string, number> = {};
  const list = sorted.map((members, id) => {
    for (const node of members) membership[node] = id;
    return { id, members };
  });
  return { modularity, communities: list, membership };
}
