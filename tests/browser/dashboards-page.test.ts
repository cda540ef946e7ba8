import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../api/start.ts';
import { type ClickHouseStore, openStore } from '../../lib/clickhouse/store.ts';
import { createLogger } from '../../lib/log.ts';
import { sampleRequests, seedAccessLog } from './support/access-log.ts';
import { clickNode, launchBrowser, openGraphPage, screenshot } from './support/browser.ts';

/** Rendering runs behind a busy event loop on a loaded CI machine: a poll waits up to 15 s. */
const poll = { timeout: 15_000 };

import { DemoMesh } from './support/mesh.ts';

const log = createLogger('test', { level: 'silent' });
let dir: string;
let store: ClickHouseStore;
let api: RunningApi;
let url: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-dashboards-page-'));
  store = await openStore(`chdb://${dir}/data`, log);
  await seedAccessLog(store, log, sampleRequests());
  const mesh = new DemoMesh();
  api = await startApi({ fold: mesh.fold, now: mesh.now, log, port: 0, store });
  url = `http://127.0.0.1:${api.port}`;
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the dashboards page', () => {
  it('lists the dashboards and charts the first one over time', async () => {
    await page.goto(`${url}/ui/dashboards`);
    await expect
      .poll(() => page.locator('#board-list button').allTextContents())
      .toEqual([
        'Endpoint latency over time',
        'Response flags',
        'Slowest routes',
        'Status mix',
        'Top edges',
      ]);
    await page.locator('#board .row-count').waitFor();
    const api = await (await fetch(`${url}/v1/dashboards/endpoint-latency`)).json();
    expect(await page.locator('#board .row-count').textContent()).toBe(`${api.rows.length} rows`);
    // One line per endpoint: catalog's two and db's one.
    expect(await page.locator('#board svg.chart path').count()).toBe(3);
    await screenshot(page, 'dashboard-endpoint-latency');
  });

  it('runs a dashboard with the parameters typed in, and shows a refusal', async () => {
    await page.locator('#board-list button[data-board="top-edges"]').click();
    await page.locator('#board h2', { hasText: 'Top edges' }).waitFor();
    await page.locator('#board .row-count').waitFor();
    const rows = page.locator('#board table.rows tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('td').first().textContent()).toBe('frontend');
    expect(await page.locator('#board svg.chart rect').count()).toBe(2);
    await screenshot(page, 'dashboard-top-edges');

    await page.locator('#board input[name="limit"]').fill('1');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => rows.count(), poll).toBe(1);
    await page.locator('#board input[name="sort"]').fill('bogus');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect
      .poll(() => page.locator('#board .error-box').textContent())
      .toMatch(
        /^BAD_REQUEST: ClickHouse refused the parameters: .*sort must be rate, error_rate or p99/,
      );
  });
});

describe('the graph page with ClickHouse behind the API', () => {
  it("charts a node's RED over the last hour from the rollups", async () => {
    const graph = await openGraphPage(browser, url);
    await clickNode(graph, 'catalog');
    const requests = graph.locator('#details .red-charts svg').first().locator('path');
    // A line through the stored minutes (the access log covers the last two), not a single sample.
    await expect
      .poll(async () => ((await requests.getAttribute('d')) ?? '').split('L').length)
      .toBeGreaterThan(1);
    await screenshot(graph, 'details-stored-series');
    await graph.close();
  });
});
