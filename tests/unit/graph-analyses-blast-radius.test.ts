import { describe, expect, it } from 'vitest';
import { blastRadius, dependencies } from '../../stream-jobs/graph/analyses/index.ts';
import { build, mesh, pick } from '../support/graph-mesh.ts';

// Blast radius and dependencies: who is hit when a node fails, and what a node needs.
// Fixture: tests/support/graph-mesh.ts.

const graph = mesh();

describe('blast radius', () => {
  it('of db: every transitive caller with the share of its traffic that reaches db', () => {
    // catalog sends 30 of its 120 calls/s to db: 1/4; cart 20 of 30: 2/3;
    // web mixes them by its calls: (60·1/4 + 30·2/3 + 10·0) / 100 = 0.35; ingress follows web.
    const result = blastRadius(graph, { node: 'db' });
    expect(result.converged).toBe(true);
    expect(result.callers.map((c) => [c.node, c.depth])).toEqual([
      ['cart', 1],
      ['catalog', 1],
      ['web', 2],
      ['ingress', 3],
    ]);
    const share = Object.fromEntries(result.callers.map((c) => [c.node, c.share]));
    expect(share.catalog).toBeCloseTo(0.25, 12);
    expect(share.cart).toBeCloseTo(2 / 3, 12);
    expect(share.web).toBeCloseTo(0.35, 12);
    expect(share.ingress).toBeCloseTo(0.35, 12);
    // affected req/s = share × inbound traffic (outbound for the ingress): 15, 20, 35, 35.
    const rate = Object.fromEntries(result.callers.map((c) => [c.node, c.affectedRate]));
    expect(rate).toEqual({
      catalog: 15,
      cart: expect.closeTo(20, 9),
      web: expect.closeTo(35, 9),
      ingress: expect.closeTo(35, 9),
    });
    expect(result.entrypoints.map((e) => e.node)).toEqual(['ingress', 'web']);
  });

  it('of one edge: only that call fails (cart → db)', () => {
    // cart: 2/3 of its calls; web: 30 · 2/3 / 100 = 0.2.
    const result = blastRadius(graph, { edge: { source: 'cart', target: 'db' } });
    expect(result.callers.map((c) => [c.node, c.depth, Number(c.share.toFixed(12))])).toEqual([
      ['cart', 1, 0.666666666667],
      ['web', 2, 0.2],
      ['ingress', 3, 0.2],
    ]);
  });

  it('of one endpoint: its share of its service, carried up', () => {
    // db/10.0.0.2 serves 20 of db's 50 req/s: 0.4; catalog 30·0.4/120 = 0.1;
    // cart 20·0.4/30 = 4/15; web (60·0.1 + 30·4/15)/100 = 0.14.
    const { callers } = blastRadius(graph, { node: 'db/10.0.0.2:5432' });
    expect(callers.map((c) => [c.node, c.depth, Number(c.share.toFixed(12))])).toEqual([
      ['db', 1, 0.4],
      ['cart', 2, 0.266666666667],
      ['catalog', 2, 0.1],
      ['web', 3, 0.14],
      ['ingress', 4, 0.14],
    ]);
  });

  it('of an entrypoint lists the entrypoint itself, fully affected', () => {
    const result = blastRadius(graph, { node: 'web' });
    expect(pick(result.callers, 'node', 'share')).toEqual([{ node: 'ingress', share: 1 }]);
    expect(pick(result.entrypoints, 'node', 'share', 'depth')).toEqual([
      { node: 'ingress', share: 1, depth: 1 },
      { node: 'web', share: 1, depth: 0 },
    ]);
  });

  it('resolves call cycles: a ⇄ b, a → d, b → c, target c', () => {
    // f(b) = ½ f(a) + ½, f(a) = ½ f(b) → f(b) = 2/3, f(a) = 1/3.
    const g = build(
      [
        ['a', 'service'],
        ['b', 'service'],
        ['c', 'service'],
        ['d', 'service'],
      ],
      [
        ['a', 'b', { rate: 1, p99: 1 }],
        ['a', 'd', { rate: 1, p99: 1 }],
        ['b', 'a', { rate: 1, p99: 1 }],
        ['b', 'c', { rate: 1, p99: 1 }],
      ],
    );
    const result = blastRadius(g, { node: 'c' });
    expect(result.converged).toBe(true);
    const share = Object.fromEntries(result.callers.map((c) => [c.node, c.share]));
    expect(share.b).toBeCloseTo(2 / 3, 10);
    expect(share.a).toBeCloseTo(1 / 3, 10);
  });
});

describe('dependencies', () => {
  it('the downstream closure of web with call depth', () => {
    expect(dependencies(graph, { node: 'web' }).dependencies.map((d) => [d.node, d.depth])).toEqual(
      [
        ['cart', 1],
        ['catalog', 1],
        ['recommend', 1],
        ['cache', 2],
        ['db', 2],
        ['llm-a', 2],
        ['llm-b', 2],
        ['storage', 3],
      ],
    );
  });

  it('maxDepth cuts the closure; includeEndpoints adds endpoints below their service', () => {
    const shallow = dependencies(graph, { node: 'web' }, { maxDepth: 1 });
    expect(shallow.dependencies.map((d) => d.node)).toEqual(['cart', 'catalog', 'recommend']);
    const withEndpoints = dependencies(graph, { node: 'catalog' }, { includeEndpoints: true });
    expect(withEndpoints.dependencies.map((d) => [d.node, d.depth])).toEqual([
      ['cache', 1],
      ['catalog/10.0.1.1:8080', 1],
      ['catalog/10.0.1.2:8080', 1],
      ['db', 1],
      ['cache/10.0.2.1:6379', 2],
      ['db/10.0.0.1:5432', 2],
      ['db/10.0.0.2:5432', 2],
      ['storage', 2],
    ]);
  });
});
