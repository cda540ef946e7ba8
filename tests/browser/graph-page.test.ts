import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningApi, startApi } from '../../api/start.ts';
import { dimColor, edgeColor, healthColors } from '../../api/web/client/colors.ts';
import { rate } from '../../api/web/client/format.ts';
import { createLogger } from '../../lib/log.ts';
import type { Horizon } from '../../stream-jobs/graph/model.ts';
import {
  clickNode,
  colourDistance,
  drawnNode,
  hexColour,
  launchBrowser,
  openGraphPage,
  pixelAt,
  screenshot,
} from './support/browser.ts';
import { DemoMesh, demoCalls, demoNodes } from './support/mesh.ts';
import { FakePolicy } from './support/policy.ts';

/** Rendering runs behind a busy event loop on a loaded CI machine: a poll waits up to 15 s. */
const poll = { timeout: 15_000 };

const log = createLogger('test', { level: 'silent' });

// The mesh as it was before `payments` existed: what the time slider replays.
const pastCalls = demoCalls.filter((call) => call.destination !== 'payments');
const pastMesh = new DemoMesh(pastCalls);
const history = vi.fn(async (_tMs: number, _horizon: Horizon) => pastMesh.fold.graph());

const mesh = new DemoMesh();
const policy = new FakePolicy();
let api: RunningApi;
let url: string;
let browser: Browser;
let page: Page;

type Mg = {
  drawnNodes(): string[];
  drawnEdges(): string[];
  selected(): string | undefined;
  highlighted(): string[];
  mode(): string;
  layouts(): number;
  node(key: string): { health: string; color: string } | undefined;
  edge(key: string): { color: string } | undefined;
};
const state = <T>(read: (mg: Mg) => T) =>
  page.evaluate(`(${read.toString()})(window.__meshgraph)`) as Promise<T>;
const until = <A>(read: (mg: Mg, arg: A) => unknown, arg: A) =>
  page.waitForFunction(
    `(${read.toString()})(window.__meshgraph, ${JSON.stringify(arg)})`,
    undefined,
    {
      timeout: 15_000,
    },
  );
const apiJson = async <T>(path: string): Promise<T> =>
  (await fetch(`${url}${path}`)).json() as Promise<T>;

beforeAll(async () => {
  policy.decide('catalog', {
    '10.0.1.1:8080': [64, 'adaptive'],
    '10.0.1.2:8080': [64, 'adaptive'],
  });
  api = await startApi({
    fold: mesh.fold,
    now: mesh.now,
    history,
    log,
    port: 0,
    extraPlugins: [policy.plugin],
  });
  url = `http://127.0.0.1:${api.port}`;
  browser = await launchBrowser();
  // No periodic re-rank: every change the page shows must come through the SSE path.
  page = await openGraphPage(browser, url, { rerankMs: 3_600_000 });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('the live graph page', () => {
  it('draws every node and edge of the mesh, coloured by health, on a WebGL canvas', async () => {
    expect((await state((mg) => mg.drawnNodes())).sort()).toEqual(demoNodes());
    expect((await state((mg) => mg.drawnEdges())).sort()).toEqual(mesh.fold.graph().edges().sort());
    const frontend = await drawnNode(page, 'frontend');
    expect(frontend).toMatchObject({ health: 'healthy', color: healthColors.healthy });
    if (!frontend) return;
    const onScreen = await pixelAt(page, frontend.x, frontend.y);
    expect(colourDistance(onScreen, hexColour(healthColors.healthy))).toBeLessThan(30);
    await screenshot(page, 'graph-loaded');
  });

  it("shows p99 and error rate on hover, and a node's details on click", async () => {
    const db = await drawnNode(page, 'db');
    if (!db) throw new Error('db is not drawn');
    await page.mouse.move(db.x, db.y);
    await expect.poll(() => page.locator('#tooltip').isVisible(), poll).toBe(true);
    expect(await page.locator('#tooltip').textContent()).toMatch(
      /^db {2}\(healthy\)\n.*errors 0\.0%.*p99 \d/s,
    );

    await clickNode(page, 'catalog');
    await page.locator('#details [data-node="catalog"]').waitFor();
    expect(await state((mg) => mg.selected())).toBe('catalog');
    const { stats } = await apiJson<{ stats: Record<Horizon, { rate: number }> }>(
      '/v1/graph/nodes/catalog',
    );
    const oneMinute = page.locator('#details .stats tbody tr').first();
    expect(await oneMinute.locator('td').nth(1).textContent()).toBe(rate(stats['1m'].rate));
    const weights = page.locator('#details .endpoints td.weight');
    expect(await weights.allTextContents()).toEqual(['64', '64']);
    await expect.poll(() => page.locator('#details .explain li').count(), poll).toBe(2);
    expect(await page.locator('#details .red-charts svg').count()).toBe(3);
    await screenshot(page, 'details-catalog');
  });

  it("shows an endpoint's weight drop as soon as the policy decides it", async () => {
    policy.decide('catalog', {
      '10.0.1.1:8080': [8, 'ejected'],
      '10.0.1.2:8080': [120, 'adaptive'],
    });
    const row = page.locator('#details tr[data-endpoint="10.0.1.1:8080"]');
    await expect.poll(() => row.locator('td.weight').textContent(), { timeout: 10_000 }).toBe('8');
    expect(await row.locator('td.reason').textContent()).toBe('ejected (was 64)');
    await expect.poll(() => page.locator('#details .decision-list li').count(), poll).toBe(2);
    expect(await page.locator('#details .decision-list li').first().textContent()).toContain(
      '10.0.1.1:8080 64→8 (ejected)',
    );
    await expect
      .poll(() => page.locator('#decision-timeline .decision-mark[data-cluster="catalog"]').count())
      .toBe(2);
    await screenshot(page, 'weight-drop');
  });

  it('turns a node red when its inbound calls fail, through the SSE stream', async () => {
    const layouts = await state((mg) => mg.layouts());
    mesh.failing.add('db');
    for (let i = 0; i < 6; i++) mesh.tick();
    expect(mesh.fold.graph().getNodeAttribute('db', 'health')).toBe('failing');
    await until((mg) => mg.node('db')?.health === 'failing', null);
    // Applied to the drawn graph in place: no new layout, no redraw from scratch.
    expect(await state((mg) => mg.layouts())).toBe(layouts);
    const db = await drawnNode(page, 'db');
    expect(db?.color).toBe(healthColors.failing);
    if (!db) return;
    await page.mouse.move(5, 5);
    const onScreen = await pixelAt(page, db.x, db.y);
    expect(colourDistance(onScreen, hexColour(healthColors.failing))).toBeLessThan(30);
    await screenshot(page, 'db-failing');
  });

  it('highlights the blast radius the analysis API computes, and fades the rest', async () => {
    await clickNode(page, 'db');
    await page.locator('#details [data-node="db"]').waitFor();
    await page.getByRole('button', { name: 'Blast radius' }).click();
    const answer = await apiJson<{ callers: { node: string }[]; entrypoints: { node: string }[] }>(
      '/v1/analyses/blast-radius?node=db',
    );
    const expected = [
      ...new Set([
        'db',
        ...answer.callers.map((c) => c.node),
        ...answer.entrypoints.map((e) => e.node),
      ]),
    ].sort();
    expect(expected).toContain('catalog');
    await until((mg, want) => JSON.stringify(mg.highlighted()) === JSON.stringify(want), expected);
    expect((await state((mg) => mg.node('cache')))?.color).toBe(dimColor);
    expect((await state((mg) => mg.node('catalog')))?.color).toBe(healthColors.healthy);
    await screenshot(page, 'blast-radius-db');
    await page.locator('#clear-highlight').click();
    await until((mg) => mg.highlighted().length === 0, null);
  });

  it('ranks root causes of a symptom as the root-cause analysis does', async () => {
    await clickNode(page, 'frontend');
    await page.locator('#details [data-node="frontend"]').waitFor();
    // The page must show what the analysis answered to its own request: the fold keeps moving
    // (decay, the clock), so a second request made by the test could rank differently.
    const response = page.waitForResponse((r) => r.url().includes('/v1/analyses/root-cause?'));
    await page.getByRole('button', { name: 'Root cause' }).click();
    const answer = (await (await response).json()) as { candidates: { node: string }[] };
    expect(answer.candidates.length).toBeGreaterThan(0);
    const items = page.locator('#details ol.root-cause > li');
    try {
      await expect.poll(() => items.count(), poll).toBe(answer.candidates.length);
      expect(
        await items.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-node'))),
      ).toEqual(answer.candidates.map((c) => c.node));
      await screenshot(page, 'root-cause-frontend');
    } finally {
      // Leave no highlight behind for the tests that follow, whatever happened here.
      await page.locator('#clear-highlight').click();
      await until((mg) => mg.highlighted().length === 0, null);
    }
  });

  it('filters to the neighbourhood of a service, as /v1/graph does', async () => {
    await page.locator('#centre').fill('payments');
    await page.locator('#depth').fill('1');
    await page.locator('#mode').selectOption('around');
    const answer = await apiJson<{ nodes: { key: string }[] }>(
      '/v1/graph?service=payments&depth=1&horizon=5m',
    );
    const want = answer.nodes.map((n) => n.key).sort();
    // The selection stays drawn whatever the filter.
    await until(
      (mg, w) =>
        JSON.stringify(
          mg
            .drawnNodes()
            .filter((k) => k !== mg.selected())
            .sort(),
        ) === JSON.stringify(w),
      want,
    );
    await page.locator('#mode').selectOption('top');
    await until((mg, n) => mg.drawnNodes().length === n, demoNodes().length);
  });

  it('replays the graph of half an hour ago from the history', async () => {
    await page.locator('#slider').fill('-30');
    await until((mg) => mg.mode() === 'history', null);
    const asked = history.mock.calls.at(-1)?.[0] ?? 0;
    expect(Math.abs(asked - (mesh.clockMs - 30 * 60_000))).toBeLessThan(60_000);
    await until(
      (mg, want) => JSON.stringify(mg.drawnNodes().sort()) === JSON.stringify(want),
      demoNodes(pastCalls),
    );
    // Half an hour ago db was fine: its node and the calls into it are drawn as they were then.
    expect(await state((mg) => mg.node('db')?.color)).toBe(healthColors.healthy);
    expect(await state((mg) => mg.edge('catalog→db')?.color)).toBe(edgeColor(0, 'calls'));
    await screenshot(page, 'history-30-min');
    await page.locator('#slider').fill('0');
    await until(
      (mg, n) => mg.mode() === 'live' && mg.drawnNodes().length === n,
      demoNodes().length,
    );
    expect(await state((mg) => mg.edge('catalog→db')?.color)).toBe(healthColors.failing);
  });
});

describe('the page server', () => {
  it('serves the pages and their bundle, and nothing else under /ui/assets', async () => {
    const pageResponse = await fetch(`${url}/ui`);
    expect(pageResponse.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await pageResponse.text()).toContain('<script type="module" src="/ui/assets/graph.js">');
    const bundle = await fetch(`${url}/ui/assets/dashboards.js`);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    for (const name of ['toString', 'bundle.ts', '..%2Fplugin.ts']) {
      const missing = await fetch(`${url}/ui/assets/${name}`);
      expect(missing.status, name).toBe(404);
      expect((await missing.json()).error.code).toBe('NOT_FOUND');
    }
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/ui']);
  });
});
