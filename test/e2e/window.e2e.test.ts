import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { request } from '../helpers/server.js';
import { metaJson, privateTokenOf } from '../helpers/test-home.js';
import { editorText, focusEditorEnd, replaceEditorText } from './editor-support.js';
import { readTiles } from './map-tiles.js';
import { screenshot, windowForFile, type ServedWindow } from './window-harness.js';

let served: ServedWindow;
let context: BrowserContext;
let page: Page;
/** Every URL the window asked for: offline, nothing but the online basemap's tries leaves the engine. */
const requested: string[] = [];

/** Opens a UDF by clicking it in the library (search cleared first). */
async function openFromLibrary(name: string): Promise<void> {
  await page.getByTestId('library-search').fill('');
  await page.locator(`[data-testid="library-item"][data-name="${name}"]`).first().click();
  await page.getByTestId('udf-page').waitFor();
  await expect.poll(() => page.locator('.udf-header h1').innerText()).toContain(name);
}

const udfFile = (name: string): string => join(served.home.root, 'udfs', name, `${name}.py`);
const privateToken = (): string => privateTokenOf(served.home);

windowForFile((opened) => {
  ({ served, context, page } = opened);
  page.on('request', (req) => requested.push(req.url()));
});

describe('the window', () => {
  it('finds an example in the library, runs it and shows its table', async () => {
    await page.getByTestId('library-search').fill('hello');
    await expect.poll(() => page.getByTestId('library-item').count()).toBe(1);
    await page.getByTestId('library-item').filter({ hasText: 'Hello_World' }).click();
    await page.locator('[data-param="name"]').fill('Ada');
    await page.getByTestId('run').click();
    const table = page.getByTestId('result-table');
    // Opening the page ran it with the defaults; the table follows the run with "Ada".
    await expect.poll(() => table.locator('tbody').innerText().catch(() => ''), { timeout: 15_000 }).toContain('Hello, Ada! (1 of 3)');
    expect(await table.locator('tbody tr').count()).toBe(3);
    expect(await page.getByTestId('run-info').innerText()).toMatch(/ms|s/);
  });

  it('flags a parameter that would not convert before running', async () => {
    await page.locator('[data-param="n"]').fill('many');
    await expect.poll(() => page.getByTestId('param-problem').innerText()).toBe('must be a whole number');
    await page.locator('[data-param="n"]').fill('2');
    await expect.poll(() => page.getByTestId('param-problem').count()).toBe(0);
  });

  it('shows a tile UDF as live map tiles with painted pixels', async () => {
    await openFromLibrary('Raster_Gradient');
    await expect.poll(async () => (await readTiles(page)).length, { timeout: 30_000 }).toBeGreaterThan(2);
    const tiles = await readTiles(page);
    // A raster tile is fully painted, and neighbouring tiles differ.
    expect(tiles.every((tile) => tile.painted === 256 * 256)).toBe(true);
    expect(new Set(tiles.map((tile) => tile.checksum)).size).toBeGreaterThan(1);
  });

  it('vector tiles render, and a save on disk repaints them without a reload', async () => {
    await openFromLibrary('Tile_Grid');
    await expect.poll(async () => (await readTiles(page)).filter((tile) => tile.painted > 0).length, { timeout: 30_000 }).toBeGreaterThan(2);
    const before = await readTiles(page);
    // A partly painted vector tile: polygons with gaps between them.
    expect(before.every((tile) => tile.painted > 1000 && tile.painted < 256 * 256)).toBe(true);
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });

    const code = readFileSync(udfFile('Tile_Grid'), 'utf8');
    writeFileSync(udfFile('Tile_Grid'), code.replace('dx * 0.04, dy * 0.04', 'dx * 0.25, dy * 0.25'));
    await expect.poll(async () => {
      const after = await readTiles(page);
      return after.length > 0 && after.every((tile) => tile.version !== before[0]?.version);
    }, { timeout: 15_000 }).toBe(true);
    const after = await readTiles(page);
    // Wider gaps between the cells: fewer painted pixels per tile.
    const mean = (tiles: typeof before): number => tiles.reduce((sum, tile) => sum + tile.painted, 0) / tiles.length;
    expect(mean(after)).toBeLessThan(mean(before) * 0.8);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await editorText(page)).toContain('dx * 0.25');
    await screenshot(page, 'e2e-tile-grid-after-save');
  });

  it('broken code shows its error line in the editor, the library and the tiles', async () => {
    const code = readFileSync(udfFile('Tile_Grid'), 'utf8');
    writeFileSync(udfFile('Tile_Grid'), code.replace('def udf(bounds', 'def udf(:bounds'));
    await page.getByTestId('udf-error').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('udf-error').innerText()).toContain('line 9');
    // Line 9 of the file is the one the editor marks.
    expect(await page.getByTestId('error-line').innerText()).toContain('def udf(:bounds');
    expect(readFileSync(udfFile('Tile_Grid'), 'utf8').split('\n')[8]).toContain('def udf(:bounds');
    await expect.poll(() => page.locator('[data-name="Tile_Grid"] [data-testid="error-badge"]').count()).toBe(1);
    // The tiles say why they are empty instead of staying blank.
    await expect.poll(() => page.getByTestId('map-status').innerText().catch(() => ''), { timeout: 15_000 }).toContain('failed');
    expect(await page.locator('.udf-tile-error').first().getAttribute('title')).toContain('line 9');
    await screenshot(page, 'e2e-broken-code');

    writeFileSync(udfFile('Tile_Grid'), code);
    await expect.poll(() => page.getByTestId('udf-error').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.locator('[data-name="Tile_Grid"] [data-testid="error-badge"]').count()).toBe(0);
  });

  it('a run that raises shows the exception and marks its line', async () => {
    await openFromLibrary('Hello_World');
    await page.locator('[data-param="n"]').fill('-1');
    await page.getByTestId('run').click();
    await page.getByTestId('run-error').waitFor();
    expect(await page.getByTestId('run-error').innerText()).toContain('ValueError');
    expect(await page.getByTestId('run-error').innerText()).toContain('n must be zero or more');
    const line = Number((await page.getByTestId('error-line-link').innerText()).replace('line ', ''));
    expect(readFileSync(udfFile('Hello_World'), 'utf8').split('\n')[line - 1]).toContain('raise ValueError');
    expect(await page.getByTestId('error-line').innerText()).toContain('raise ValueError');
  });

  it('saving in the editor writes the file and reruns', async () => {
    await page.locator('[data-param="n"]').fill('2');
    const code = await editorText(page);
    await replaceEditorText(page, code.replace('"Hello, {name}!', '"Howdy, {name}!'));
    await page.getByTestId('save').click();
    await expect.poll(() => readFileSync(udfFile('Hello_World'), 'utf8')).toContain('Howdy, {name}!');
    await expect.poll(() => page.getByTestId('result-table').innerText().catch(() => ''), { timeout: 15_000 }).toContain('Howdy, world! (1 of 2)');
  });

  it('a new or duplicated UDF opens at once, even while the engine is slow to list it', async () => {
    // A busy engine: the library list, which used to be the page's way to find a new UDF, lags 1.5 s.
    const slowList = async (route: Route): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await route.continue();
    };
    await page.route('**/api/library', slowList);
    try {
      const opens = async (name: string): Promise<void> => {
        await expect.poll(() => page.locator('.udf-header h1').innerText()).toContain(name);
        expect(await page.getByText(`Cannot open ${name}`).count()).toBe(0);
        expect(await editorText(page)).toContain('@fused.udf');
      };
      await page.getByTestId('new-udf').click();
      await page.getByTestId('name-field').fill('Made_Here');
      await page.getByTestId('create-udf').click();
      await opens('Made_Here');
      expect(existsSync(udfFile('Made_Here'))).toBe(true);

      await page.getByTestId('more-actions').click();
      await page.getByRole('menuitem', { name: 'Duplicate…' }).click();
      await page.getByTestId('name-field').fill('Made_Here_Copy');
      await page.getByRole('button', { name: 'Duplicate', exact: true }).click();
      await opens('Made_Here_Copy');
      expect(readFileSync(udfFile('Made_Here_Copy'), 'utf8')).toBe(readFileSync(udfFile('Made_Here'), 'utf8'));
    } finally {
      // Lets the lists still held back go through before the route goes.
      await page.unrouteAll({ behavior: 'wait' });
    }
    // Once the list catches up, both are in the library.
    await expect.poll(() => page.locator('[data-testid="library-item"][data-name="Made_Here_Copy"]').count()).toBe(1);
  });

  it('deletes a UDF to the trash; the bundled example shows again and can be added back', async () => {
    await openFromLibrary('Eiffel_Tower');
    await page.getByTestId('more-actions').click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => existsSync(join(served.home.root, 'udfs', 'Eiffel_Tower'))).toBe(false);
    expect(existsSync(join(served.home.root, 'xdg', 'Trash', 'files', 'Eiffel_Tower', 'Eiffel_Tower.py'))).toBe(true);
    const group = page.locator('.group').filter({ hasText: 'Bundled examples' });
    await group.getByTestId('library-item').filter({ hasText: 'Eiffel_Tower' }).click();
    await page.getByTestId('example-banner').getByRole('button', { name: 'Add to my workspace' }).click();
    await expect.poll(() => existsSync(udfFile('Eiffel_Tower'))).toBe(true);
    await expect.poll(() => page.getByTestId('example-banner').count()).toBe(0);
    await expect.poll(() => group.count()).toBe(0);
  });

  it('edits a header module in its own tab', async () => {
    await openFromLibrary('With_Utils');
    const header = page.getByTestId('file-tab').filter({ hasText: /^utils\.py/ });
    await header.click();
    const original = await editorText(page);
    expect(original).toBe(readFileSync(join(served.home.root, 'udfs', 'With_Utils', 'utils.py'), 'utf8'));
    await focusEditorEnd(page);
    await page.keyboard.type('\n# edited in the window\n');
    expect(await header.innerText()).toContain('•');
    await page.keyboard.press('Control+s');
    await expect.poll(() => readFileSync(join(served.home.root, 'udfs', 'With_Utils', 'utils.py'), 'utf8')).toContain('# edited in the window');
    await expect.poll(() => header.innerText()).not.toContain('•');
  });

  it('creates a shared token whose tile URL works from outside the page', async () => {
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('token-udf').selectOption('Raster_Gradient');
    await page.getByTestId('create-token').click();
    const template = await page.getByTestId('token-url-tile-url-template').inputValue();
    expect(template).toMatch(/\/fsh_[A-Za-z0-9_-]+\/run\/tiles\/\{z\}\/\{x\}\/\{y\}\.png$/);
    await screenshot(page, 'e2e-token-created');
    const tile = await request(served.url, new URL(template.replace('{z}/{x}/{y}', '3/4/2')).pathname);
    expect(tile.status).toBe(200);
    expect(tile.headers['content-type']).toBe('image/png');
    expect(tile.body.subarray(1, 4).toString()).toBe('PNG');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('token-list').locator('tbody tr').count()).toBe(1);
  });

  it('submits a job from the Jobs view and shows its progress reaching 100%', async () => {
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('job-udf').selectOption('Hello_World');
    const args = page.getByTestId('job-args');
    await args.fill('[{"n": 1},');
    expect(await page.getByTestId('submit-job').isDisabled()).toBe(true);
    const argList = Array.from({ length: 6 }, (_, i) => ({ name: `run${i}`, n: i + 1 }));
    await args.fill(JSON.stringify(argList));
    await page.getByTestId('submit-job').click();
    const job = page.getByTestId('job').first();
    await expect.poll(() => job.getByTestId('job-percent').innerText(), { timeout: 30_000 }).toBe('100%');
    expect(await job.getAttribute('data-status')).toBe('succeeded');
    expect(await job.getByTestId('job-progress').getAttribute('aria-valuenow')).toBe('100');
    const jobs = (await request(served.url, '/api/jobs', { headers: { authorization: `Bearer ${privateToken()}` } })).json() as { jobs: Array<{ udf: string; total: number; status: string }> };
    expect(jobs.jobs[0]).toMatchObject({ udf: 'Hello_World', total: 6, status: 'succeeded' });
  });

  it('cancels a running job from the Jobs view', async () => {
    served.home.write({
      'udfs/Slow_Step/meta.json': metaJson('Slow_Step'),
      'udfs/Slow_Step/Slow_Step.py': '@fused.udf\ndef udf(i: int = 0):\n    import time\n    time.sleep(0.4)\n    return {"i": i}\n',
    });
    await expect.poll(() => page.getByTestId('job-udf').locator('option[value="Slow_Step"]').count(), { timeout: 15_000 }).toBe(1);
    await page.getByTestId('job-udf').selectOption('Slow_Step');
    await page.getByTestId('job-args').fill(JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ i }))));
    await page.locator('.job-form input[inputmode="numeric"]').fill('1');
    await page.getByTestId('submit-job').click();
    const job = page.getByTestId('job').filter({ hasText: 'Slow_Step' }).first();
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 15_000 }).toBe('cancelled');
    expect(await job.innerText()).toMatch(/cancelled/);
  });

  it('works offline: every request the window made went to the engine, but the online basemap\'s tries', () => {
    expect(requested.length).toBeGreaterThan(20);
    const elsewhere = requested.filter((url) => !url.startsWith(`${served.url}/`) && !url.startsWith('data:') && !url.startsWith('blob:') && !url.startsWith('https://tile.openstreetmap.org/'));
    expect(elsewhere).toEqual([]);
  });

  it('no other page can use the session: a page on another port cannot create a UDF', async () => {
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<script>
        fetch(${JSON.stringify(`${served.url}/api/udfs`)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"name":"Evil_UDF"}' })
          .finally(() => { document.title = 'sent'; });
      </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const other = await context.newPage();
      await other.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await expect.poll(() => other.title()).toBe('sent');
      await other.close();
      expect(existsSync(join(served.home.root, 'udfs', 'Evil_UDF'))).toBe(false);
    } finally {
      evil.close();
    }
  });
});
