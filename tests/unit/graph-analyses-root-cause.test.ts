import { describe, expect, it } from 'vitest';
import { rootCause } from '../../stream-jobs/graph/analyses/index.ts';
import { mesh, pick } from '../support/graph-mesh.ts';

// Root cause ranking over the fixture mesh's db fault.
// Fixture: tests/support/graph-mesh.ts.

const graph = mesh();

describe('root cause', () => {
  it('the deep service whose errors rose against its baseline ranks first', () => {
    const { candidates } = rootCause(graph, { symptom: 'web' });
    const db = candidates[0];
    expect(db?.node).toBe('db');
    // (30% − 1%) / (1 − 1%): the share of formerly good requests now failing.
    expect(db?.score).toBeCloseTo(0.29 / 0.99, 12);
    expect(db).toMatchObject({ propagation: 1, explained: 0, explainedBy: null, depth: 2 });
    expect(db?.reason).toBe(
      "error rate 30.0% vs baseline 1.0% (anomaly 0.293); 100% of its callers' traffic carries " +
        'the anomaly to the symptom; no more anomalous dependency explains it',
    );
    const byNode = Object.fromEntries(
      rootCause(graph, { symptom: 'web' }, { limit: 100 }).candidates.map((c) => [c.node, c]),
    );
    // The propagators are explained by what they call: web by cart (the more anomalous of its
    // two anomalous callees), catalog and cart by db.
    expect(
      pick(
        [byNode.web, byNode.catalog, byNode.cart].map((c) => c as NonNullable<typeof c>),
        'node',
        'score',
        'explainedBy',
      ),
    ).toEqual([
      { node: 'web', score: 0, explainedBy: 'cart' },
      { node: 'catalog', score: 0, explainedBy: 'db' },
      { node: 'cart', score: 0, explainedBy: 'db' },
    ]);
    // The healthy fan-out sibling scores nothing; llm-b's own rise does not reach the symptom.
    expect(byNode['llm-a']).toMatchObject({ anomaly: 0, score: 0 });
    expect(byNode['llm-b']?.anomaly).toBeCloseTo(0.04 / 0.99, 12);
    expect(byNode['llm-b']).toMatchObject({ propagation: 0, score: 0 });
    // db's endpoints fail alike: a service-wide fault, named by the service.
    expect(byNode['db/10.0.0.2:5432']).toMatchObject({ explained: 1, explainedBy: 'db', score: 0 });
  });

  it('one bad endpoint outranks its service', () => {
    // db/10.0.0.2 at 70%, db/10.0.0.1 at 1/30: db's callers still see 30%.
    // Endpoint score = a(e) × (1 − a(db)/a(e)) = (0.69 − 0.29)/0.99.
    const g = mesh({
      'db>db/10.0.0.2:5432': { errorRate: 0.7 },
      'db>db/10.0.0.1:5432': { errorRate: 1 / 30 },
    });
    const { candidates } = rootCause(g, { symptom: 'web' });
    expect(candidates.slice(0, 2).map((c) => c.node)).toEqual(['db/10.0.0.2:5432', 'db']);
    expect(candidates[0]?.score).toBeCloseTo(0.4 / 0.99, 12);
    expect(candidates[0]?.reason).toContain('42% explained by db (anomaly 0.293)');
  });

  it('latency: a slow storage explains a slow db', () => {
    // storage p99 150 → 600 (anomaly 1 − 150/600 = 0.75); db 156 → 312 (0.5), explained by it.
    const g = mesh({
      'db>storage': { p99: 600, baseline: { p99: 150 } },
      'catalog>db': { p99: 400, errorRate: 0.01, baseline: { p99: 200 } },
      'cart>db': { p99: 180, errorRate: 0.01, baseline: { p99: 90 } },
    });
    const { candidates } = rootCause(g, { symptom: 'db' });
    expect(pick(candidates.slice(0, 2), 'node', 'score', 'explainedBy')).toEqual([
      { node: 'storage', score: 0.75, explainedBy: null },
      { node: 'db', score: 0, explainedBy: 'storage' },
    ]);
    expect(candidates[1]?.latencyScore).toBeCloseTo(0.5, 12);
    expect(candidates[0]?.reason).toContain('p99 600 ms vs baseline 150 ms');
  });

  it('with no anomaly anywhere every score is 0', () => {
    const calm = mesh(
      Object.fromEntries(
        ['ingress>web', 'web>catalog', 'web>cart', 'catalog>db', 'cart>db', 'recommend>llm-b'].map(
          (k) => [k, { errorRate: 0.01 }],
        ),
      ),
    );
    const { candidates } = rootCause(calm, { symptom: 'web' }, { includeEndpoints: false });
    expect(candidates.every((c) => c.score === 0 && c.anomaly === 0)).toBe(true);
  });
});
