import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthColors } from '../../api/web/client/colors.ts';
import { type RunningDemo, startDemo } from '../../demo/run.ts';
import { demoTimeline, type TimelineStep } from '../../demo/timeline.ts';
import { createLogger } from '../../lib/log.ts';
import { isAlive } from '../../stack/process.ts';
import { waitFor } from '../support/xds.ts';
import {
  clickNode,
  colourDistance,
  hexColour,
  launchBrowser,
  openGraphPage,
  screenshot,
} from './support/browser.ts';

// The real `meshgraph demo` in this process (Kafka, fleet, every component, Envoy, open-loop
// traffic, the fault timeline) seen through the live page in Chromium: what a user watches.

const services = ['web', 'catalog', 'cart', 'recommend', 'db', 'cache', 'llm-a', 'llm-b'];

// catalog-2 turns slow late enough for the page to show catalog's healthy weights first
// (start-up and the first windows take ~20-30 s on a loaded 2-core machine); the other steps
// are pushed past the test so db-3's errors cannot blur what catalog shows.
const slowAtMs = 45_000;
const timeline = demoTimeline({ slowAtMs, errorsAtMs: 600_000, recoverAtMs: 601_000 });

let dir: string;
let demo: RunningDemo;
let browser: Browser;
let page: Page;
const steps: { step: TimelineStep; atMs: number }[] = [];

type Mg = {
  drawnNodes(): string[];
  selected(): string | undefined;
  node(key: string): { health: string; color: string | undefined } | undefined;
};
const state = <T>(read: (mg: Mg) => T) =>
  page.evaluate(`(${read.toString()})(window.__meshgraph)`) as Promise<T>;

/** The endpoint rows of the open details panel: endpoint → shown weight, reason, row colour. */
async function endpointRows(): Promise<
  Map<string, { weight: number; reason: string; color: string; bad: boolean }>
> {
  const rows = await page.locator('#details .endpoints tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      endpoint: tr.getAttribute('data-endpoint') ?? '',
      weight: tr.querySelector('td.weight')?.textContent ?? '',
      reason: tr.querySelector('td.reason')?.textContent ?? '',
      color: getComputedStyle(tr).color,
      bad: tr.classList.contains('bad'),
    })),
  );
  return new Map(
    rows.map(({ endpoint, weight, ...rest }) => [endpoint, { ...rest, weight: Number(weight) }]),
  );
}

const rgb = (css: string) => (css.match(/\d+/g) ?? []).slice(0, 3).map(Number);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshgraph-demo-page-'));
  demo = await startDemo({
    runDir: dir,
    ports: {
      api: 0,
      xds: 0,
      xdsAdmin: 0,
      collector: 0,
      collectorAdmin: 0,
      jobsAdmin: 0,
      policyAdmin: 0,
      ingress: 0,
    },
    ratePerSecond: 40,
    timeline,
    log: createLogger('demo-page', { destination: path.join(dir, 'meshgraph.log') }),
    onStep: (step, atMs) => steps.push({ step, atMs }),
  });
  // Kafka or Envoy dying mid-test would otherwise surface as an unexplained page timeout.
  void demo.failed.then((error) => console.error(`demo failed: ${error.message}`));
  browser = await launchBrowser();
  page = await openGraphPage(browser, demo.urls.api);
});

afterAll(async () => {
  await browser?.close();
  const pids = Object.values(demo?.pids ?? {});
  await demo?.close();
  expect(pids.filter(isAlive)).toEqual([]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the live page on the running demo', () => {
  let catalog2: string;
  let before: Awaited<ReturnType<typeof endpointRows>>;

  it('draws the demo graph: every service of the fleet, and catalog with its 3 endpoints', async () => {
    catalog2 = demo.endpoints['catalog-2'] as string;
    expect(catalog2).toMatch(/^127\.0\.0\.1:\d+$/);
    const catalogEndpoints = ['catalog-1', 'catalog-2', 'catalog-3']
      .map((i) => `catalog/${demo.endpoints[i]}`)
      .sort();
    // The graph fills as the first 10-s windows of edge stats arrive over SSE.
    await page.waitForFunction(
      `((mg, want) => want.every((s) => mg.drawnNodes().includes(s)))(window.__meshgraph, ${JSON.stringify([...services, ...catalogEndpoints])})`,
      undefined,
      { timeout: 60_000 },
    );
    // catalog's three instances are three endpoints of one service, and no others.
    const drawn = await state((mg) => mg.drawnNodes());
    expect(drawn.filter((key) => key.startsWith('catalog/')).sort()).toEqual(catalogEndpoints);
    await screenshot(page, 'demo-graph');
  });

  it("shows catalog's details on click: its 3 endpoints with the policy's weights", async () => {
    await clickNode(page, 'catalog');
    await page.locator('#details [data-node="catalog"]').waitFor();
    // Off the graph, so no tooltip covers the screenshots.
    await page.mouse.move(5, 5);
    expect(await state((mg) => mg.selected())).toBe('catalog');
    const endpoints = ['catalog-1', 'catalog-2', 'catalog-3'].map((i) => demo.endpoints[i]);
    // The policy decides once a second, from the first statistics on; the page polls it.
    before = await waitFor(
      "catalog's 3 endpoints with weights",
      async () => {
        const rows = await endpointRows();
        const ok =
          rows.size === 3 &&
          endpoints.every((e) => (rows.get(e as string)?.weight ?? 0) > 0) &&
          (await page.locator('#details .endpoints .policy-state .reason').count()) === 1;
        return ok ? rows : undefined;
      },
      30_000,
    );
    // Catalog still healthy: equal weights, nobody marked (a late start would void step 3).
    expect(steps).toEqual([]);
    expect(new Set([...before.values()].map((r) => r.weight)).size).toBe(1);
    expect([...before.values()].filter((r) => r.bad)).toEqual([]);
    await page.locator('#details .endpoints').scrollIntoViewIfNeeded();
    await screenshot(page, 'demo-catalog-details');
  });

  it('marks catalog-2 red and shows its weight drop, with the reason, once it turns slow', async () => {
    await page.locator(`#details tr.bad[data-endpoint="${catalog2}"]`).waitFor({ timeout: 90_000 });
    expect(steps.map((s) => s.step.event)).toEqual(['slow']);
    const earlier = before.get(catalog2)?.weight as number;
    const after = await waitFor(
      "catalog-2's weight below its siblings'",
      async () => {
        const rows = await endpointRows();
        const mine = rows.get(catalog2);
        const others = [...rows].filter(([e]) => e !== catalog2).map(([, r]) => r.weight);
        return mine && mine.weight < earlier && others.every((w) => w > mine.weight)
          ? rows
          : undefined;
      },
      90_000,
    );
    const mine = after.get(catalog2);
    // The reason names the policy's verdict and where the weight came from.
    expect(mine?.reason).toMatch(/^(ejected|adaptive)( \(was \d+\))?$/);
    expect(colourDistance(rgb(mine?.color ?? ''), hexColour(healthColors.failing))).toBeLessThan(
      10,
    );
    await expect
      .poll(() => page.locator('#details .decision-list li').allTextContents(), {
        timeout: 15_000,
      })
      .toContainEqual(expect.stringContaining(`${catalog2} ${earlier}→`));
    await page.locator(`#details tr[data-endpoint="${catalog2}"]`).scrollIntoViewIfNeeded();
    await screenshot(page, 'demo-catalog-2-degraded');
  });
});
