import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../../../stack/paths.ts';

/** Where screenshots go: kept after the run (gitignored, .cache/). */
export const artifactsDir = path.join(projectRoot, '.cache', 'test-artifacts', 'browser');

/** Debian's chromium; CI installs it (.ci/run). */
export const chromiumPath = process.env.MESHGRAPH_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium with WebGL on SwiftShader (the CPU rasteriser), so sigma draws the same on
 * a machine without a GPU.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
  });
}

/**
 * Opens the live graph page of the API at `apiUrl` (any meshgraph API: a test fixture, the
 * demo fleet, `meshgraph up`) and waits until its first snapshot is drawn. `pollMs`: how
 * often the page polls the routing decisions; `rerankMs`: how often it re-ranks what it draws
 * (a test that must see a change arrive through the SSE path alone sets it out of reach).
 */
export async function openGraphPage(
  browser: Browser,
  apiUrl: string,
  options: { pollMs?: number; rerankMs?: number } = {},
): Promise<Page> {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const rerank = options.rerankMs === undefined ? '' : `&rerank=${options.rerankMs}`;
  await page.goto(`${apiUrl}/ui?poll=${options.pollMs ?? 200}${rerank}`);
  try {
    await page.waitForFunction(
      () => {
        const state = (window as unknown as { __meshgraph?: { ready: boolean; renders(): number } })
          .__meshgraph;
        return state?.ready === true && state.renders() > 0;
      },
      undefined,
      { timeout: 20_000 },
    );
  } catch (error) {
    throw new Error(`the graph page did not draw (page errors: ${errors.join('; ') || 'none'})`, {
      cause: error,
    });
  }
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export interface DrawnNode {
  health: string;
  color: string | undefined;
  /** Page coordinates (CSS px) of the node's centre. */
  x: number;
  y: number;
}

/** A drawn node as the page reports it, its position turned into page coordinates. */
export async function drawnNode(page: Page, key: string): Promise<DrawnNode | undefined> {
  const box = await page.locator('#graph').boundingBox();
  const node = await page.evaluate(
    (k) =>
      (
        window as unknown as { __meshgraph: { node(key: string): DrawnNode | undefined } }
      ).__meshgraph.node(k),
    key,
  );
  if (!node || !box) return undefined;
  return { ...node, x: box.x + node.x, y: box.y + node.y };
}

/** Clicks a node where sigma drew it: a real mouse event through sigma's hit testing. */
export async function clickNode(page: Page, key: string): Promise<void> {
  const node = await drawnNode(page, key);
  if (!node) throw new Error(`node ${key} is not drawn`);
  await page.mouse.click(node.x, node.y);
}

/** The colour on screen at a page point, read from a 1×1 screenshot. */
export async function pixelAt(page: Page, x: number, y: number): Promise<[number, number, number]> {
  const png = await page.screenshot({
    clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 },
  });
  return onePixel(png);
}

/**
 * The pixel of a 1×1 PNG (8-bit RGB or RGBA). With a single pixel every PNG row filter leaves
 * the bytes as they are (the neighbours it refers to are all zero), so inflating is enough.
 */
export function onePixel(png: Buffer): [number, number, number] {
  const idat: Buffer[] = [];
  let colourType = -1;
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      if (data.readUInt32BE(0) !== 1 || data.readUInt32BE(4) !== 1 || data[8] !== 8) {
        throw new Error('onePixel: expected a 1×1 8-bit PNG');
      }
      colourType = data[9] ?? -1;
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  if (colourType !== 2 && colourType !== 6)
    throw new Error(`onePixel: PNG colour type ${colourType}`);
  const [, r = 0, g = 0, b = 0] = inflateSync(Buffer.concat(idat));
  return [r, g, b];
}

export function hexColour(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Largest difference over the three channels. */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((value, i) => Math.abs(value - (b[i] ?? 0))));
}
