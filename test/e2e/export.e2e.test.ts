/**
 * Export… in the real window (Chromium): the dialog starts from the map's view, shows the plan's
 * tile count, starts the export as a job the Jobs view follows to the written archive, and the
 * archive then shows on the map as a layer of its own.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenshot, windowForFile, type OpenedWindow } from './window-harness.js';

let opened: OpenedWindow;
windowForFile((made) => {
  opened = made;
});

describe('exporting a tile UDF from its page', () => {
  it('bakes the map\'s area into an archive that the map then shows as a layer', async () => {
    const { page, served } = opened;
    await page.goto(`${served.url}/#/udf/Tile_Grid`);
    await page.getByTestId('udf-page').waitFor();
    await expect.poll(() => page.locator('.udf-tile[data-version]').count(), { timeout: 30_000 }).toBeGreaterThan(2);

    await page.getByTestId('export').click();
    const bbox = await page.getByTestId('export-bbox').inputValue();
    expect(bbox.split(',').map(Number).every(Number.isFinite)).toBe(true);
    const zoom = await page.getByTestId('export-min-zoom').inputValue();
    await page.getByTestId('export-max-zoom').fill(zoom);
    await page.getByTestId('export-file').fill('paris');
    await expect.poll(() => page.getByTestId('export-plan').textContent(), { timeout: 30_000 }).toMatch(/^\s*\d+ tiles \(z\d+: \d+\)/);
    await screenshot(page, 'export-dialog');
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-started').waitFor();
    await page.getByTestId('export-started').getByRole('link', { name: 'Jobs' }).click();
    const job = page.getByTestId('job-export').first();
    await expect.poll(() => job.textContent(), { timeout: 60_000 }).toMatch(/export to .*paris\.pmtiles: written/);
    expect(existsSync(join(served.home.root, 'udfs', 'paris.pmtiles'))).toBe(true);

    await page.goto(`${served.url}/#/udf/Tile_Grid`);
    await page.reload();
    await page.getByTestId('udf-page').waitFor();
    const archiveRow = page.getByTestId('layer-archive:paris.pmtiles');
    await archiveRow.waitFor({ timeout: 30_000 });
    // Only the archive's tiles on the map: the UDF's own layer off, the archive's on.
    await page.getByTestId('layer-tiles').getByRole('checkbox').uncheck();
    await archiveRow.getByRole('checkbox').check();
    await expect.poll(() => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.udf-tile[data-features]')].filter((tile) => Number(tile.dataset.features) > 0).length), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, 'export-archive-layer');
  });
});
