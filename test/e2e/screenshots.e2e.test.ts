import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../helpers/server.js';
import { readTiles } from './map-tiles.js';
import { launchBrowser, openWindow, screenshot, serveWindow, type ServedWindow } from './window-harness.js';

/** Every main view at the design size and in a small window, written under test-output/screenshots. */
const SIZES = [
  { label: '1280x800', viewport: { width: 1280, height: 800 } },
  { label: 'small', viewport: { width: 760, height: 560 } },
];

let served: ServedWindow;
let browser: Browser;

beforeAll(async () => {
  served = await serveWindow();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const privateToken = (): string => (JSON.parse(readFileSync(join(served.home.root, 'credentials'), 'utf8')) as { access_token: string }).access_token;

/** The page never scrolls sideways: everything fits the window's width. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

async function openUdf(page: Page, name: string): Promise<void> {
  await page.goto(`${served.url}/#/udf/${name}`);
  await page.getByTestId('udf-page').waitFor();
}

describe.each(SIZES)('screens at $label', ({ label, viewport }) => {
  it('library, tables, maps, images, HTML and errors', async () => {
    const { context, page } = await openWindow(browser, served, viewport);
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
      await page.getByTestId('result-html').waitFor();
      await screenshot(page, `${label}-05-html`);

      await openUdf(page, 'Eiffel_Tower');
      await page.locator('.leaflet-overlay-pane path').first().waitFor();
      await screenshot(page, `${label}-06-geodataframe-on-map`);

      await openUdf(page, 'Tile_Grid');
      await expect.poll(async () => (await readTiles(page)).length, { timeout: 30_000 }).toBeGreaterThan(0);
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

  it('tokens, cache, jobs and settings', async () => {
    const { context, page } = await openWindow(browser, served, viewport);
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
      await job.locator('.job-name').click();
      await job.locator('.runs tbody tr').nth(3).waitFor();
      expect(await job.locator('.runs').innerText()).toContain('n must be zero or more');
      await screenshot(page, `${label}-13-jobs`);

      await page.getByTestId('nav-settings').click();
      await page.getByTestId('runtime-status').locator('.badge').waitFor({ timeout: 30_000 });
      await screenshot(page, `${label}-14-settings`);
      await expectNoSidewaysScroll(page);
    } finally {
      await context.close();
    }
  });

  it('the page without a session says how to get one', async () => {
    const context = await browser.newContext({ viewport });
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
