import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveGraph } from '../../api/graph/source.ts';
import { type RunningApi, startApi } from '../../api/start.ts';
import { createLogger } from '../../lib/log.ts';
import {
  createServiceGraph,
  type RedStats,
  type ServiceGraph,
} from '../../stream-jobs/graph/model.ts';
import { snapshotOf } from '../../stream-jobs/graph/snapshot.ts';
import { clickNode, launchBrowser, openGraphPage, screenshot } from './support/browser.ts';

const log = createLogger('test', { level: 'silent' });
const NOW = Date.now();
const N = 10_000;
const name = (i: number) => `s${String(i).padStart(5, '0')}`;

function red(rate: number): RedStats {
  return { rate, errorRate: 0, p50: 5, p90: 8, p99: 10, p999: 12, requests: rate * 60 };
}

/** A hub calling 10,000 services, s_i at i/100 req/s: the busiest are the hub and the last ones. */
function star(): ServiceGraph {
  const g = createServiceGraph();
  g.addNode('hub', { kind: 'service', service: 'hub', health: 'healthy' });
  for (let i = 0; i < N; i++) {
    g.addNode(name(i), { kind: 'service', service: name(i), health: 'healthy' });
    const stats = { '1m': red(i / 100), '5m': red(i / 100), '1h': red(i / 100) };
    g.addDirectedEdgeWithKey(`hub→${name(i)}`, 'hub', name(i), {
      kind: 'calls',
      stats,
      lastSeenMs: NOW,
    });
  }
  return g;
}

/** A LiveGraph over a fixed graph: a fold would take long to build this shape. */
function fixed(g: ServiceGraph): LiveGraph {
  return {
    graph: () => g,
    advance: () => {},
    clockMs: NOW,
    snapshot: () => snapshotOf(g, NOW),
    subscribe: () => () => {},
  };
}

let api: RunningApi;
let browser: Browser;
let page: Page;
const drawn = () =>
  page.evaluate(() =>
    (window as unknown as { __meshgraph: { drawnNodes(): string[] } }).__meshgraph.drawnNodes(),
  );

beforeAll(async () => {
  // No policy plugin: /v1/decisions answers 404.
  api = await startApi({ fold: fixed(star()), now: () => NOW, log, port: 0 });
  browser = await launchBrowser();
  const started = Date.now();
  page = await openGraphPage(browser, `http://127.0.0.1:${api.port}`);
  log.info({ ms: Date.now() - started }, '10,001-node page ready');
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('the graph page on 10,001 nodes', () => {
  it('holds them all but draws only the busiest 150', async () => {
    const modelNodes = await page.evaluate(() =>
      (window as unknown as { __meshgraph: { modelNodes(): number } }).__meshgraph.modelNodes(),
    );
    expect(modelNodes).toBe(N + 1);
    const busiest = ['hub', ...Array.from({ length: 149 }, (_, k) => name(N - 1 - k))].sort();
    expect((await drawn()).sort()).toEqual(busiest);
    expect(await page.locator('#counts').textContent()).toBe(`150 of ${N + 1} nodes drawn`);
    await screenshot(page, 'large-graph');
  });

  it('finds a node the filter hides and draws it', async () => {
    await page.locator('#search').fill(name(5));
    await page.waitForFunction(
      (key) =>
        (
          window as unknown as { __meshgraph: { selected(): string | undefined } }
        ).__meshgraph.selected() === key,
      name(5),
    );
    expect(await drawn()).toContain(name(5));
    await page.locator('#details [data-node="s00005"]').waitFor();
  });

  it('says no policy is running when the decisions API is not there', async () => {
    await page.locator('#search').fill('');
    await clickNode(page, 'hub');
    await page.locator('#details [data-node="hub"]').waitFor();
    await expect
      .poll(() => page.locator('#details .policy-state').textContent())
      .toBe('no policy running');
    expect(
      await page.evaluate(() =>
        (window as unknown as { __meshgraph: { policy(): string } }).__meshgraph.policy(),
      ),
    ).toBe('none');
    expect(await page.locator('#decision-timeline').textContent()).toBe('no policy running');
  });
});
