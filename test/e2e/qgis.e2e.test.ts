/**
 * "Open in QGIS" in the real window (Chromium): the button on a tile UDF's page writes the layer
 * file with the map's parameters and starts QGIS (a stand-in program that records the file it was
 * given), or, when QGIS cannot start, says where the file is and how to open it; the token and the
 * tile URL it shows work from outside the page.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { request } from '../helpers/server.js';
import { screenshot, windowForFile, type ServedWindow } from './window-harness.js';
import { privateTokenOf } from '../helpers/test-home.js';

let served: ServedWindow;
let page: Page;
let stand: string;
let fakeQgis: string;
let opened: string;

beforeAll(() => {
  stand = mkdtempSync(join(tmpdir(), 'udf-studio-fake-qgis-'));
  opened = join(stand, 'opened.txt');
  fakeQgis = join(stand, 'qgis');
  writeFileSync(fakeQgis, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
  // The served engine's environment is this process's (the test home copies it).
  process.env.UDF_STUDIO_QGIS = fakeQgis;
});
windowForFile((made) => ({ served, page } = made));

afterAll(() => {
  if (stand) rmSync(stand, { recursive: true, force: true });
});

async function openUdf(name: string): Promise<void> {
  await page.goto(`${served.url}/#/udf/${name}`);
  await page.reload();
  await page.getByTestId('udf-page').waitFor();
}

/** A tile of the dialog's tile URL, fetched as a map client would (no session, no cookie). */
async function tileStatus(tileUrl: string): Promise<number> {
  const url = new URL(tileUrl.replace('{z}/{x}/{y}', '12/2074/1409'));
  return (await request(served.url, `${url.pathname}${url.search}`)).status;
}

describe('Open in QGIS', () => {
  it('opens a tile UDF\'s tiles in QGIS with the parameters the map uses, and shows the token', async () => {
    await openUdf('Tile_Grid');
    await page.locator('[data-param="cells"]').fill('8');
    // The map takes the parameters once typing pauses: its tiles then hold 8 × 8 cells and their centres.
    await expect.poll(() => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.udf-tile[data-version]')].map((tile) => tile.dataset.features)), { timeout: 30_000 }).toContain('128');
    await page.getByTestId('open-in-qgis').click();
    const answer = page.getByTestId('qgis-answer');
    await answer.waitFor();
    await expect.poll(() => page.getByRole('dialog').getByRole('heading').innerText()).toBe('Tile_Grid is opening in QGIS');
    const file = await page.getByTestId('qgis-file').inputValue();
    expect(file).toBe(join(served.home.root, 'qgis', 'Tile_Grid.qlr'));
    await expect.poll(() => (existsSync(opened) ? readFileSync(opened, 'utf8') : '')).toBe(file);
    const tileUrl = await page.getByTestId('qgis-tile-url').inputValue();
    expect(tileUrl).toMatch(new RegExp(`^${served.url}/fsh_[\\w-]+/run/tiles/\\{z\\}/\\{x\\}/\\{y\\}\\.mvt\\?cells=8$`));
    const token = /fsh_[\w-]+/.exec(tileUrl)?.[0] as string;
    expect(await page.getByTestId('qgis-token').innerText()).toContain(token);
    expect(readFileSync(file, 'utf8')).toContain(token);
    expect(await tileStatus(tileUrl)).toBe(200);
    await screenshot(page, 'open-in-qgis');
    // The token is listed, and revoking it there stops the layer.
    await page.getByRole('dialog').getByRole('link', { name: 'Revoke it in Tokens' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain(token);
    expect((await request(served.url, `/api/tokens/${token}`, { method: 'DELETE', headers: { authorization: `Bearer ${privateTokenOf(served.home)}` } })).status).toBe(200);
    await expect.poll(() => tileStatus(tileUrl)).toBe(404);
  });

  it('colours the QGIS layer by the column picked in the map\'s layer panel', async () => {
    await openUdf('Tile_Grid');
    await expect.poll(() => page.locator('[data-testid="style-column"] option').count(), { timeout: 30_000 }).toBeGreaterThan(1);
    await page.getByTestId('style-column').selectOption('kind');
    await page.getByTestId('open-in-qgis').click();
    const file = await page.getByTestId('qgis-file').inputValue();
    // The map's categories of `kind` (sorted, as the panel takes them from the tiles), filled at
    // vizConfig's alpha, in QGIS's expression.
    await expect.poll(() => readFileSync(file, 'utf8')).toContain('CASE WHEN &quot;kind&quot; IS NULL THEN color_rgba(170,170,170,115) WHEN to_string(&quot;kind&quot;) = &apos;cell&apos; THEN color_rgba(31,119,180,115)');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('style-column').selectOption('');
    await page.getByTestId('open-in-qgis').click();
    await expect.poll(() => readFileSync(file, 'utf8')).not.toContain('&quot;kind&quot;');
    expect(readFileSync(file, 'utf8')).toContain('<Option name="color" value="29,78,216,56" type="QString"/>');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  });

  it('says where the file is and how to open it when QGIS cannot start', async () => {
    chmodSync(fakeQgis, 0o644);
    await openUdf('Raster_Gradient');
    await page.getByTestId('open-in-qgis').click();
    await page.getByTestId('qgis-answer').waitFor();
    await expect.poll(() => page.getByRole('dialog').getByRole('heading').innerText()).toBe('QGIS layer for Raster_Gradient saved');
    expect(await page.getByTestId('qgis-not-opened').innerText()).toMatch(/^Not opened: cannot run ".*qgis": .*EACCES/);
    expect(await page.getByTestId('qgis-answer').innerText()).toContain('Add from Layer Definition File');
    const file = await page.getByTestId('qgis-file').inputValue();
    expect(readFileSync(file, 'utf8')).toContain('<provider>wms</provider>');
    expect(await page.getByTestId('qgis-tile-url').inputValue()).toMatch(/\{z\}\/\{x\}\/\{y\}\.png\?palette=rgb$/);
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('qgis-answer').count()).toBe(0);
  });

  it('shows the error when the tiles cannot be made, and no button on a file UDF\'s page', async () => {
    await openUdf('Tile_Grid');
    await page.locator('[data-param="cells"]').fill('100');
    // Once the map has the parameters, its tiles fail too.
    await page.getByTestId('tile-error-toggle').waitFor({ timeout: 30_000 });
    await page.getByTestId('open-in-qgis').click();
    await expect.poll(() => page.getByTestId('qgis-problem').innerText()).toContain('cells must be between 1 and 64, got 100');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await openUdf('Hello_World');
    expect(await page.getByTestId('open-in-qgis').count()).toBe(0);
  });
});
