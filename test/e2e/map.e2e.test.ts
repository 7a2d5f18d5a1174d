/**
 * The map in the real window (Chromium): the basemap online and its fallback offline, the layer
 * panel (opacity, two named layers with legends), colouring vector tiles by a column and by
 * `fused:vizConfig`, clicking a tile feature, and the parameter form following the file.
 *
 * This machine has no internet, so OpenStreetMap fails and the bundled basemap shows; the online
 * path is shown against a loopback HTTPS tile server (the window's policy allows only https images).
 */

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openWindow, screenshot, windowForFile, type ServedWindow } from './window-harness.js';

let served: ServedWindow;
let browser: Browser;
let page: Page;

const udfDir = (name: string): string => join(served.home.root, 'udfs', name);
const tileGrid = (): string => join(udfDir('Tile_Grid'), 'Tile_Grid.py');

/** Counts a canvas's pixels by colour class: the bundled basemap's land, water and other. */
async function basemapPixels(theme: 'light' | 'dark' = 'light'): Promise<{ tiles: number; land: number; water: number; ink: number }> {
  // The bundled basemap's land and sea colours in each theme (bundled-basemap.ts).
  const [land, water] = theme === 'light' ? [[0xf4, 0xf2, 0xec], [0xcf, 0xdf, 0xeb]] : [[0x1e, 0x23, 0x2b], [0x0e, 0x1a, 0x26]];
  return page.evaluate(({ land, water }) => {
    const counts = { tiles: 0, land: 0, water: 0, ink: 0 };
    const is = (r: number, g: number, b: number, colour: number[]): boolean => r === colour[0] && g === colour[1] && b === colour[2];
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>('.bundled-basemap canvas')) {
      counts.tiles++;
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number];
        if (is(r, g, b, land)) counts.land++;
        else if (is(r, g, b, water)) counts.water++;
        else if (r + g + b < 300) counts.ink++;
      }
    }
    return counts;
  }, { land, water });
}

/** How many features each painted vector tile keeps (a failed tile: its error). */
function tileFeatureCounts(): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.udf-tile[data-version]')].map((tile) => tile.dataset.features ?? `failed: ${tile.title}`));
}

/** The distinct opaque colours of the painted vector tiles. */
function tileColours(): Promise<number> {
  return page.evaluate(() => {
    const colours = new Set<string>();
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>('.udf-tile canvas')) {
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255) colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
    }
    return colours.size;
  });
}

async function openTileGrid(): Promise<void> {
  await page.goto(`${served.url}/#/udf/Tile_Grid`);
  // A fresh page: the same address again would not reload it.
  await page.reload();
  await page.getByTestId('udf-page').waitFor();
  await expect.poll(() => page.locator('.udf-tile[data-version]').count(), { timeout: 30_000 }).toBeGreaterThan(2);
  await expect.poll(() => page.locator('.udf-tile-loading').count(), { timeout: 30_000 }).toBe(0);
}

// The loopback tile server's certificate is self-signed.
windowForFile((opened) => ({ served, browser, page } = opened), { viewport: { width: 1440, height: 900 }, browserArgs: ['--ignore-certificate-errors'] });

/**
 * Zooms the map out `steps` levels with its button, one level at a time: Leaflet drops a zoom asked
 * for while the last one still animates, so each click waits for the scale to change and the
 * animation to end.
 */
async function zoomOut(steps: number): Promise<void> {
  const scale = page.locator('.leaflet-control-scale-line');
  for (let step = 0; step < steps; step++) {
    const before = await scale.innerText();
    await page.locator('.leaflet-control-zoom-out').click();
    await expect.poll(() => scale.innerText()).not.toBe(before);
    await page.waitForFunction(() => document.querySelector('.leaflet-zoom-anim') === null);
  }
}

describe('the map', () => {
  it('falls back to the bundled basemap offline, with land, borders and place names at city zoom', async () => {
    await openTileGrid();
    await expect.poll(() => page.getByTestId('basemap-note').innerText(), { timeout: 20_000 }).toContain('did not answer');
    expect(await page.getByTestId('basemap-shown').innerText()).toBe('bundled offline map');
    await expect.poll(async () => (await basemapPixels()).tiles, { timeout: 20_000 }).toBeGreaterThan(4);
    // Paris at zoom 12: all land, and labels (dark ink) of the places around.
    await expect.poll(async () => (await basemapPixels()).ink).toBeGreaterThan(200);
    const pixels = await basemapPixels();
    expect(pixels.land).toBeGreaterThan(pixels.water);
    expect(await page.locator('.leaflet-control-attribution').innerText()).toContain('GeoNames');
    await screenshot(page, 'map-tile-grid-city-offline');
    // Out to Europe: coastlines show water beside land.
    await zoomOut(6);
    await expect.poll(async () => (await basemapPixels()).water, { timeout: 20_000 }).toBeGreaterThan(10_000);
    await screenshot(page, 'map-tile-grid-europe-offline');
    // The dark theme draws the same basemap in its dark colours, at once.
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await expect.poll(async () => (await basemapPixels()).water).toBe(0);
      await expect.poll(async () => (await basemapPixels('dark')).water).toBeGreaterThan(10_000);
      expect((await basemapPixels('dark')).land).toBeGreaterThan(0);
      await screenshot(page, 'map-tile-grid-europe-offline-dark');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('shows online tiles when they load, from the URL set for them', async () => {
    const certDir = mkdtempSync(join(tmpdir(), 'udf-studio-tiles-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    // A 1×1 green PNG for every tile.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNg+M8AAAICAQB7CYF4AAAAAElFTkSuQmCC', 'base64');
    const asked: string[] = [];
    const tiles: Server = createServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
      res.end(png);
    });
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
    try {
      const port = (tiles.address() as AddressInfo).port;
      await page.getByTestId('basemap-choice').selectOption('offline');
      await page.locator('details.url summary').click();
      // A template without {z}/{x}/{y} is refused where it was typed.
      await page.getByTestId('basemap-url').fill(`https://127.0.0.1:${port}/tiles.png`);
      await page.getByTestId('basemap-url').press('Enter');
      await expect.poll(() => page.getByTestId('basemap-url-problem').innerText()).toContain('{z}, {x} and {y}');
      expect(await page.getByTestId('basemap-shown').innerText()).toBe('bundled offline map');
      await page.getByTestId('basemap-url').fill(`https://127.0.0.1:${port}/{z}/{x}/{y}.png`);
      await page.getByTestId('basemap-url').press('Enter');
      await expect.poll(() => page.getByTestId('basemap-url-problem').count()).toBe(0);
      expect(await page.getByTestId('basemap-choice').inputValue()).toBe('auto');
      await expect.poll(() => page.getByTestId('basemap-shown').innerText(), { timeout: 20_000 }).toBe('online tiles');
      await expect.poll(() => page.locator('.online-basemap img.leaflet-tile-loaded').count(), { timeout: 20_000 }).toBeGreaterThan(2);
      expect(asked.some((url) => /^\/\d+\/\d+\/\d+\.png$/.test(url))).toBe(true);
      expect(await page.getByTestId('basemap-note').count()).toBe(0);
      expect(await page.locator('.leaflet-control-attribution').innerText()).toContain(`127.0.0.1:${port}`);
      // The user can still pick the bundled one.
      await page.getByTestId('basemap-choice').selectOption('offline');
      await expect.poll(() => page.getByTestId('basemap-shown').innerText()).toBe('bundled offline map');
    } finally {
      await page.evaluate(() => localStorage.removeItem('udf-studio.basemap.url'));
      await page.evaluate(() => localStorage.removeItem('udf-studio.basemap.choice'));
      tiles.closeAllConnections();
      await new Promise((resolve) => tiles.close(resolve));
      rmSync(certDir, { recursive: true, force: true });
    }
  });

  it('sets a layer\'s opacity and colours vector tiles by a numeric or categorical column, with a legend', async () => {
    await openTileGrid();
    await page.getByTestId('opacity-tiles').fill('40');
    await expect.poll(() => page.locator('.udf-tile').first().evaluate((tile) => getComputedStyle(tile.parentElement?.parentElement as HTMLElement).opacity)).toBe('0.4');
    await page.getByTestId('opacity-tiles').fill('100');
    // Tile_Grid's vizConfig colours by value; one colour first, then the user's pick.
    await expect.poll(() => page.getByTestId('style-column').inputValue()).toBe('value');
    await page.getByTestId('style-column').selectOption('');
    await expect.poll(() => page.getByTestId('legend-tiles').innerText()).toContain('features');
    const single = await tileColours();
    await page.getByTestId('style-column').selectOption('value');
    await expect.poll(() => page.getByTestId('legend-tiles').locator('.ramp').count()).toBe(1);
    await expect.poll(() => tileColours()).toBeGreaterThan(single + 4);
    await screenshot(page, 'map-tile-grid-by-value');
    await page.getByTestId('style-column').selectOption('kind');
    await expect.poll(() => page.getByTestId('legend-tiles').innerText()).toMatch(/cell[\s\S]*centre/);
    await page.getByTestId('style-column').selectOption('');
    await expect.poll(() => page.getByTestId('legend-tiles').innerText()).toContain('features');
  });

  it('shows a tile feature\'s properties on click', async () => {
    const box = await page.getByTestId('map').boundingBox();
    if (!box) throw new Error('no map');
    // A cell's centre point is drawn where the cell's row/col say: find one by asking the layer.
    const target = await page.evaluate(() => {
      const canvas = [...document.querySelectorAll<HTMLCanvasElement>('.udf-tile canvas')].find((candidate) => {
        const rect = candidate.getBoundingClientRect();
        return rect.left > 300 && rect.top > 150 && rect.right < window.innerWidth - 260 && rect.bottom < window.innerHeight - 60;
      });
      if (!canvas) return null;
      const rect = canvas.getBoundingClientRect();
      // A cell's interior, a few pixels in from the tile's corner (the cells are inset by 4%).
      return { x: rect.left + rect.width * 0.1, y: rect.top + rect.height * 0.1 };
    });
    if (!target) throw new Error('no tile fully in view');
    await page.mouse.click(target.x, target.y);
    const popup = page.getByTestId('feature-popup');
    await popup.waitFor();
    const text = await popup.innerText();
    expect(text).toContain('Polygon');
    expect(text).toMatch(/kind\s+cell/);
    expect(text).toMatch(/row\s+0/);
    expect(text).toMatch(/col\s+0/);
    expect(text).toMatch(/value\s+\d/);
    await screenshot(page, 'map-tile-feature-popup');
  });

  it('shows a raster tile\'s pixel on click', async () => {
    await page.goto(`${served.url}/#/udf/Raster_Gradient`);
    await page.reload();
    await expect.poll(() => page.locator('.udf-tile[data-version]').count(), { timeout: 30_000 }).toBeGreaterThan(2);
    await expect.poll(() => page.locator('.udf-tile-loading').count(), { timeout: 30_000 }).toBe(0);
    const box = await page.getByTestId('map').boundingBox();
    if (!box) throw new Error('no map');
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
    const text = await page.getByTestId('feature-popup').innerText();
    expect(text).toContain('raster pixel');
    expect(text).toMatch(/r, g, b\s+\d+, \d+, \d+/);
    expect(text).toMatch(/alpha\s+255/);
  });

  it('colours by what fused:vizConfig says', async () => {
    const metaFile = join(udfDir('Tile_Grid'), 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { job_config: { steps: Array<{ udf: { metadata: Record<string, unknown> } }> } };
    (meta.job_config.steps[0] as { udf: { metadata: Record<string, unknown> } }).udf.metadata['fused:vizConfig'] = {
      vectorLayer: { '@@type': 'GeoJsonLayer', filled: true, getFillColor: { '@@function': 'colorContinuous', attr: 'value', domain: [0, 20], colors: 'Teal' } },
    };
    writeFileSync(metaFile, JSON.stringify(meta, null, 2));
    await openTileGrid();
    await expect.poll(() => page.getByTestId('legend-tiles').innerText(), { timeout: 15_000 }).toMatch(/0\s+20/);
    expect(await page.getByTestId('style-column').inputValue()).toBe('value');
  });

  it('draws a full run as a second named layer, marks it stale when a parameter changes and reruns', async () => {
    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('layer-result').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('layer-tiles').innerText()).toContain('Tile_Grid · tiles');
    expect(await page.getByTestId('layer-result').innerText()).toContain('Tile_Grid · run result');
    expect(await page.getByTestId('legend-result').innerText()).toContain('features');
    // The result has its own colour, apart from the tiles'.
    await expect.poll(() => page.locator('path.leaflet-interactive').first().getAttribute('stroke')).toBe('rgb(234, 88, 12)');
    await screenshot(page, 'map-tile-grid-two-layers');
    const before = await page.locator('path.leaflet-interactive').count();
    await page.locator('[data-param="cells"]').fill('2');
    await expect.poll(() => page.getByTestId('result-stale').count()).toBe(1);
    // Rerun once typing pauses: 2×2 cells and their centres, and the mark goes.
    await expect.poll(() => page.locator('path.leaflet-interactive').count(), { timeout: 30_000 }).toBe(8);
    expect(before).toBe(32);
    await expect.poll(() => page.getByTestId('result-stale').count()).toBe(0);
    // The tiles refetched with cells=2: 8 features a tile.
    await expect.poll(async () => new Set(await tileFeatureCounts()), { timeout: 30_000 }).toEqual(new Set(['8']));
  });

  it('follows the file\'s new default for a parameter the user left alone', async () => {
    await openTileGrid();
    expect(await page.locator('[data-param="cells"]').inputValue()).toBe('4');
    // meta.json's defaultParameters set the form's default: change the code's default and drop that preset.
    const metaFile = join(udfDir('Tile_Grid'), 'meta.json');
    const meta = readFileSync(metaFile, 'utf8');
    writeFileSync(metaFile, meta.replace(/"value": 4,/, '"value": 3,'));
    await expect.poll(() => page.locator('[data-param="cells"]').inputValue(), { timeout: 15_000 }).toBe('3');
    await expect.poll(async () => new Set(await tileFeatureCounts()), { timeout: 30_000 }).toEqual(new Set(['18']));
    // An edited value stays when the file changes again.
    await page.locator('[data-param="cells"]').fill('5');
    await expect.poll(async () => new Set(await tileFeatureCounts()), { timeout: 30_000 }).toEqual(new Set(['50']));
    writeFileSync(tileGrid(), readFileSync(tileGrid(), 'utf8').replace('inset_x, inset_y = dx * 0.04', 'inset_x, inset_y = dx * 0.05'));
    await expect.poll(() => page.locator('.udf-tile[data-version]').evaluateAll((tiles) => new Set(tiles.map((tile) => (tile as HTMLElement).dataset.version)).size), { timeout: 15_000 }).toBe(1);
    expect(await page.locator('[data-param="cells"]').inputValue()).toBe('5');
  });

  it('names the nearest places at the map\'s edge at street zoom, where none is in view (offline)', async () => {
    await page.goto(`${served.url}/#/udf/Eiffel_Tower`);
    await page.reload();
    await page.getByTestId('udf-page').waitFor();
    await page.locator('.leaflet-overlay-pane path').first().waitFor();
    await expect.poll(() => page.getByTestId('basemap-shown').innerText(), { timeout: 20_000 }).toBe('bundled offline map');
    // One point: the map zooms to street level (15), a view about 3 km wide with no town's point in it.
    const names = page.locator('.nearest-place');
    await expect.poll(() => names.count(), { timeout: 20_000 }).toBe(3);
    const texts = await names.allInnerTexts();
    expect(texts.find((text) => text.includes('Paris'))).toMatch(/^→ Paris · \d\.\d km$/);
    // Each name sits inside the map, clear of the others.
    const map = await page.getByTestId('map').boundingBox();
    const boxes = await names.evaluateAll((chips) => chips.map((chip) => chip.getBoundingClientRect().toJSON() as DOMRect));
    for (const box of boxes) {
      expect(box.left).toBeGreaterThanOrEqual(map?.x ?? 0);
      expect(box.right).toBeLessThanOrEqual((map?.x ?? 0) + (map?.width ?? 0));
    }
    await screenshot(page, 'map-eiffel-street-offline');
    // Out at city zoom, places are in view and drawn on the map itself: no edge names.
    await zoomOut(4);
    await expect.poll(() => names.count(), { timeout: 10_000 }).toBe(0);
  });

  it('starts the layer panel folded on a small map, and then as the user last left it', async () => {
    const small = await openWindow(browser, served, { width: 1024, height: 700 });
    try {
      await small.page.goto(`${served.url}/#/udf/Tile_Grid`);
      const panel = small.page.getByTestId('layer-panel');
      await panel.waitFor();
      expect(await panel.getAttribute('data-open')).toBe('false');
      expect((await panel.boundingBox())?.height).toBeLessThan(40);
      await panel.getByRole('button', { name: /Layers/ }).click();
      expect(await panel.getAttribute('data-open')).toBe('true');
      await small.page.getByTestId('opacity-tiles').waitFor();
      // Opened by hand: the next map, small as it is, starts open.
      await small.page.reload();
      await panel.waitFor();
      expect(await panel.getAttribute('data-open')).toBe('true');
      await panel.getByRole('button', { name: /Layers/ }).click();
      await small.page.reload();
      await panel.waitFor();
      expect(await panel.getAttribute('data-open')).toBe('false');
    } finally {
      await small.context.close();
    }
    // The 1440x900 window's larger map starts with it open.
    expect(await page.getByTestId('layer-panel').getAttribute('data-open')).toBe('true');
  });

  it('keeps the layer panel inside the map in a narrow window', async () => {
    await page.setViewportSize({ width: 640, height: 700 });
    const map = await page.getByTestId('map').boundingBox();
    const panel = await page.getByTestId('layer-panel').boundingBox();
    if (!map || !panel) throw new Error('the map or its layer panel is not shown');
    expect(panel.x).toBeGreaterThanOrEqual(map.x);
    expect(panel.x + panel.width).toBeLessThanOrEqual(map.x + map.width);
    expect(panel.y + panel.height).toBeLessThanOrEqual(map.y + map.height);
    await screenshot(page, 'map-tile-grid-640');
    // Folded, it leaves the map free.
    await page.getByTestId('layer-panel').getByRole('button', { name: /Layers/ }).click();
    expect((await page.getByTestId('layer-panel').boundingBox())?.height).toBeLessThan(40);
    await page.setViewportSize({ width: 1440, height: 900 });
  });
});
