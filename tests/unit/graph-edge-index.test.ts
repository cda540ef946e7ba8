import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/random.ts';
import { callerIndex } from '../../stream-jobs/graph/analyses/caller-index.ts';
import { type EdgeIndex, edgeIndex } from '../../stream-jobs/graph/analyses/edge-index.ts';
import {
  createServiceGraph,
  type EdgeAttributes,
  type RedStats,
} from '../../stream-jobs/graph/model.ts';

const red = (rate: number): RedStats => ({
  ...{ rate, errorRate: 0, requests: rate * 60 },
  ...{ p50: 1, p90: 2, p99: 3, p999: 4 },
});
const edge = (rate: number, kind: EdgeAttributes['kind'] = 'calls'): EdgeAttributes => ({
  kind,
  stats: { '1m': red(rate), '5m': red(rate / 2), '1h': red(rate / 4) },
  lastSeenMs: 0,
});

/** Node `key`'s in- and out-lists as `other rate hosts` lines. */
function lists(index: EdgeIndex, key: string): { ins: string[]; outs: string[] } {
  const v = index.ids.get(key) as number;
  const line = (e: number, other: number) =>
    `${index.keys[other]} ${index.rate[e]} ${index.hosts[e]}`;
  const ins: string[] = [];
  for (let k = index.inStart[v] as number; k < (index.inEnd[v] as number); k++) {
    const e = index.inEdges[k] as number;
    ins.push(line(e, index.source[e] as number));
  }
  const outs: string[] = [];
  for (let k = index.outStart[v] as number; k < (index.outEnd[v] as number); k++) {
    const e = index.outEdges[k] as number;
    outs.push(line(e, index.target[e] as number));
  }
  return { ins, outs };
}

function randomGraph(keys: readonly string[], steps: number, seed: number) {
  const rng = mulberry32(seed);
  const g = createServiceGraph();
  for (const key of keys) g.addNode(key, { kind: 'service', service: key, health: 'unknown' });
  for (let step = 0; step < steps; step++) {
    const s = keys[Math.floor(rng() * keys.length)] as string;
    const t = keys[Math.floor(rng() * keys.length)] as string;
    if (s === t) continue;
    if (g.hasDirectedEdge(s, t)) {
      if (rng() < 0.5) g.dropDirectedEdge(s, t); // and maybe re-added later, at the end
    } else g.addDirectedEdge(s, t, edge(rng() * 10, rng() < 0.2 ? 'hosts' : 'calls'));
  }
  return g;
}

describe('edgeIndex', () => {
  it("lists each node's edges in graphology's order, array-index keys first", () => {
    // Keys graphology's neighbour objects order differently: array indices go first, ascending.
    const keys = ['b', '42', 'a', '7', 'svc-1', '0', '4294967295', 'x/10.0.0.1:80', '010'];
    const g = randomGraph(keys, 400, 5);
    const index = edgeIndex(g, '5m');
    const line = (other: string, a: EdgeAttributes) =>
      `${other} ${a.stats['5m'].rate} ${a.kind === 'hosts' ? 1 : 0}`;
    for (const key of keys) {
      const { ins, outs } = lists(index, key);
      expect(ins).toEqual(g.mapInEdges(key, (_e, a, source) => line(source, a)));
      expect(outs).toEqual(g.mapOutEdges(key, (_e, a, _s, target) => line(target, a)));
    }
  });

  it('callerIndex holds the same lists for the callers it walked, or gives up past its budget', () => {
    const keys = Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? String(i) : `svc-${i}`));
    const g = randomGraph(keys, 300, 9);
    const whole = edgeIndex(g, '1m');
    for (const origin of keys) {
      const part = callerIndex(g, '1m', origin, Number.POSITIVE_INFINITY) as EdgeIndex;
      for (const key of part.keys) {
        const v = part.ids.get(key) as number;
        const walked = (part.inEnd[v] as number) > (part.inStart[v] as number);
        if (walked || key === origin) expect(lists(part, key).ins).toEqual(lists(whole, key).ins);
        if (part.outEnd[v] !== part.outStart[v]) {
          expect(lists(part, key).outs).toEqual(lists(whole, key).outs);
        }
      }
    }
    expect(callerIndex(g, '1m', 'svc-1', 3)).toBeUndefined();
  });
});
