import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { request } from '../helpers/server.js';
import { readTiles } from './map-tiles.js';
import { openWindow, screenshot, windowForFile, type ServedWindow } from './window-harness.js';
import { privateTokenOf } from '../helpers/test-home.js';

/**
 * Every view at a large, a middle and a narrow window size, in the light and the dark theme (the OS
 * setting, which the window follows), written under test-output/screenshots as SIZE-THEME-NN-what.png.
 */
const SIZES = [
  { size: '1440x900', viewport: { width: 1440, height: 900 } },
  { size: '1024x700', viewport: { width: 1024, height: 700 } },
  { size: '640x700', viewport: { width: 640, height: 700 } },
];
const SCREENS = SIZES.flatMap((entry) => (['light', 'dark'] as const).map((theme) => ({ ...entry, theme, label: `${entry.size}-${theme}` })));

let served: ServedWindow;
let browser: Browser;

windowForFile((opened) => ({ served, browser } = opened), { viewport: null });

const privateToken = (): string => privateTokenOf(served.home);

/** The page never scrolls sideways: everything fits the window's width. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

/** Waits until the map's basemap tiles in view have drawn (the offline one loads its data first). */
async function basemapDrawn(page: Page): Promise<void> {
  await expect.poll(() => page.locator('.bundled-basemap .leaflet-tile, .online-basemap .leaflet-tile').count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(() => page.locator('.bundled-basemap .leaflet-tile:not(.leaflet-tile-loaded)').count(), { timeout: 30_000 }).toBe(0);
}

async function openUdf(page: Page, name: string): Promise<void> {
  await page.goto(`${served.url}/#/udf/${name}`);
  await page.getByTestId('udf-page').waitFor();
}

describe.each(SCREENS)('screens at $label', ({ label, viewport, theme }) => {
  it('library, tables, maps, images, HTML and errors', async () => {
    const { context, page } = await openWindow(browser, served, viewport, theme);
    try {
      await screenshot(page, `${label}-01-home`);
      await expectNoSidewaysScroll(page);

      await openUdf(page, 'Hello_World');
      await page.getByTestId('result-table').waitFor();
      await screenshot(page, `${label}-02-table`);
      await expectNoSidewaysScroll(page);

      // A small window shows the code or the output; the README is on the code side.
      if (viewport.width < 900) await page.getByRole('button', { name: 'Code', exact: true }).click();
      await page.getByRole('button', { name: 'README' }).click();
      await page.locator('.markdown h2').first().waitFor();
      await screenshot(page, `${label}-03-readme`);

      await openUdf(page, 'Typed_Parameters');
      await page.locator('[data-param="count"]').fill('2.5');
      await page.locator('[data-param="tags"]').fill('[alpha');
      await expect.poll(() => page.getByTestId('param-problem').count()).toBe(2);
      await screenshot(page, `${label}-04-invalid-parameters`);

      await openUdf(page, 'Html_Report');
      // The frame's page paints after the frame is in place: wait for its heading.
      await page.frameLocator('[data-testid="result-html"]').locator('h1').waitFor();
      await screenshot(page, `${label}-05-html`);

      await openUdf(page, 'Eiffel_Tower');
      await page.locator('.leaflet-overlay-pane path').first().waitFor();
      // The offline basemap drawn, with the nearest places named at the edge (street zoom).
      await basemapDrawn(page);
      await page.locator('.nearest-place').first().waitFor();
      await screenshot(page, `${label}-06-geodataframe-on-map`);

      await openUdf(page, 'Tile_Grid');
      await expect.poll(async () => (await readTiles(page)).length, { timeout: 30_000 }).toBeGreaterThan(0);
      await basemapDrawn(page);
      await screenshot(page, `${label}-07-vector-tiles`);
      await expectNoSidewaysScroll(page);

      await openUdf(page, 'Raster_Gradient');
      await expect.poll(async () => (await readTiles(page)).length, { timeout: 30_000 }).toBeGreaterThan(0);
      await page.getByTestId('tab-result').click();
      await page.getByTestId('run').click();
      await page.getByTestId('result-image').waitFor();
      await screenshot(page, `${label}-08-raster-result`);

      await openUdf(page, 'Hello_World');
      await page.locator('[data-param="n"]').fill('-3');
      await page.getByTestId('run').click();
      await page.getByTestId('run-error').waitFor();
      await screenshot(page, `${label}-09-run-error`);
    } finally {
      await context.close();
    }
  });

  it('tokens, cache, jobs, secrets and settings', async () => {
    const { context, page } = await openWindow(browser, served, viewport, theme);
    try {
      await page.getByTestId('nav-tokens').click();
      await page.getByTestId('create-token').waitFor();
      await screenshot(page, `${label}-10-tokens`);
      await page.getByTestId('token-udf').selectOption('Tile_Grid');
      await page.getByTestId('create-token').click();
      await page.getByTestId('token-url-tile-url-template').waitFor();
      await screenshot(page, `${label}-11-token-created`);
      await page.getByRole('button', { name: 'Done' }).click();

      await page.getByTestId('nav-cache').click();
      await page.getByTestId('cache-summary').waitFor();
      await screenshot(page, `${label}-12-cache`);
      await expectNoSidewaysScroll(page);

      await page.getByTestId('nav-jobs').click();
      await page.locator('.page h1').filter({ hasText: 'Jobs' }).waitFor();
      await screenshot(page, `${label}-13-jobs-empty`);
      const argList = [{ n: 1 }, { n: 2 }, { n: -1 }, { n: 3 }];
      const submitted = await request(served.url, '/api/jobs', {
        method: 'POST', headers: { authorization: `Bearer ${privateToken()}`, 'content-type': 'application/json' }, body: JSON.stringify({ udf: 'Hello_World', argList, maxRetry: 0 }),
      });
      expect(submitted.status).toBe(201);
      // Earlier screens submitted the same job: find this one by its id.
      const job = page.locator(`[data-job-id="${(submitted.json() as { id: string }).id}"]`);
      await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
      await job.getByTestId('job-toggle').click();
      await job.getByTestId('job-run').nth(3).waitFor();
      expect(await job.getByTestId('job-run').nth(2).innerText()).toContain('n must be zero or more');
      await screenshot(page, `${label}-13-jobs`);

      await page.getByTestId('nav-secrets').click();
      await page.locator('.page h1').waitFor();
      await screenshot(page, `${label}-16-secrets`);

      await page.getByTestId('nav-settings').click();
      await page.getByTestId('runtime-status').locator('.badge').waitFor({ timeout: 30_000 });
      await screenshot(page, `${label}-14-settings`);
      await expectNoSidewaysScroll(page);
    } finally {
      await context.close();
    }
  });

  it('dialogs, quick-open and the folded sidebar', async () => {
    const { context, page } = await openWindow(browser, served, viewport, theme);
    try {
      await openUdf(page, 'Hello_World');
      await page.getByTestId('result-table').waitFor();
      await page.keyboard.press('Control+k');
      await page.getByTestId('quick-open-input').pressSequentially('t');
      await screenshot(page, `${label}-17-quick-open`);
      await page.keyboard.press('Escape');

      await page.getByTestId('share').click();
      await page.getByTestId('share-create').waitFor();
      await screenshot(page, `${label}-18-share`);
      await page.keyboard.press('Escape');

      await page.getByTestId('more-actions').click();
      await page.getByRole('menuitem', { name: 'Duplicate…' }).click();
      await page.getByTestId('name-field').fill('Hello World');
      await page.getByTestId('name-error').waitFor();
      await screenshot(page, `${label}-19-duplicate-error`);
      await page.keyboard.press('Escape');

      const fold = page.getByTestId('sidebar-collapse');
      if (await fold.count()) await fold.click();
      await page.getByTestId('sidebar-rail').waitFor();
      await expectNoSidewaysScroll(page);
      await screenshot(page, `${label}-20-sidebar-folded`);
    } finally {
      await context.close();
    }
  });

  it('the page without a session says how to get one', async () => {
    const context = await browser.newContext({ viewport, colorScheme: theme });
    try {
      const page = await context.newPage();
      await page.goto(served.url);
      await page.getByText('Open the window from its link').waitFor();
      expect(await page.getByTestId('library').count()).toBe(0);
      await screenshot(page, `${label}-15-no-session`);
    } finally {
      await context.close();
    }
  });
});
