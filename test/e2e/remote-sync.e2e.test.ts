/**
 * Remote engines in the window, against two real `udf-studio serve` instances with their own homes:
 * B is A's remote. Configured in A's Settings, then sync states, push, a change on B seen live,
 * pull, a conflict and its resolution, a UDF only B has, and the engine switch sending a tile
 * UDF's tiles to B. Screenshots of each new view at 1280×800 and in a small window.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { request } from '../helpers/server.js';
import { metaJson, privateTokenOf } from '../helpers/test-home.js';
import { editorText } from './editor-support.js';
import { readTiles } from './map-tiles.js';
import { launchBrowser, openWindow, screenshot, serveWindow, type ServedWindow } from './window-harness.js';

let a: ServedWindow;
let b: ServedWindow;
let browser: Browser;
/** The window at 1280×800, where the test clicks. */
let page: Page;
/** The same window, small: it follows along for the screenshots. */
let small: Page;
/** Each map tile the big window fetched, with the engine that answered it. */
const tileAnswers: Array<{ url: URL; engine: string }> = [];

const codeFile = (served: ServedWindow, name: string): string => join(served.home.root, 'udfs', name, `${name}.py`);
const syncState = (target: Page = page) => target.locator('[data-testid="udf-sync"] [data-testid="sync-badge"]').getAttribute('data-state', { timeout: 1_000 }).catch(() => null);
const libraryState = (name: string) => page.locator(`[data-testid="library-item"][data-name="${name}"] [data-testid="sync-badge"]`).getAttribute('data-state', { timeout: 1_000 }).catch(() => null);

async function openUdf(target: Page, name: string): Promise<void> {
  await target.goto(`${a.url}/#/udf/${name}`);
  await target.getByTestId('udf-page').waitFor();
  await expect.poll(() => target.locator('.udf-header h1').innerText()).toContain(name);
}

/** A screenshot of the big window as it is, and of the small one after it opens the same view. */
async function shootBoth(name: string, route: string, ready: (target: Page) => Promise<void>): Promise<void> {
  await screenshot(page, `1280x800-sync-${name}`);
  await small.goto(`${a.url}/#${route}`);
  await ready(small);
  await screenshot(small, `small-sync-${name}`);
  const { scrollWidth, clientWidth } = await small.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

beforeAll(async () => {
  [a, b] = await Promise.all([serveWindow(), serveWindow()]);
  browser = await launchBrowser();
  ({ page } = await openWindow(browser, a));
  ({ page: small } = await openWindow(browser, a, { width: 760, height: 560 }));
  page.on('response', (response) => {
    if (response.url().includes('/tiles/')) tileAnswers.push({ url: new URL(response.url()), engine: response.headers()['x-udf-studio-engine'] ?? '' });
  });
  // A UDF of A's own, not on B yet.
  const made = await request(a.url, '/api/udfs', { method: 'POST', headers: { authorization: `Bearer ${privateTokenOf(a.home)}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Shared_Layer', template: 'table' }) });
  expect(made.status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('settings in the window', () => {
  it('adds and removes a workspace folder at once, and keeps a new port for the next start', async () => {
    const extra = join(a.home.root, 'more-udfs');
    mkdirSync(join(extra, 'Extra_Udf'), { recursive: true });
    writeFileSync(join(extra, 'Extra_Udf', 'meta.json'), metaJson('Extra_Udf'));
    writeFileSync(join(extra, 'Extra_Udf', 'Extra_Udf.py'), '@fused.udf\ndef udf():\n    return {"extra": 1}\n');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-workspaces').waitFor();

    await page.getByTestId('new-folder').fill(join(a.home.root, 'no-such-folder'));
    await page.getByTestId('add-folder').click();
    await expect.poll(() => page.getByTestId('folder-error').innerText().catch(() => ''), { timeout: 10_000 }).toContain('does not exist');
    await page.getByTestId('new-folder').fill(extra);
    await page.getByTestId('add-folder').click();
    await page.locator('[data-testid="library-item"][data-name="Extra_Udf"]').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('folder-error').count()).toBe(0);
    expect(await page.getByTestId('settings-workspaces').innerText()).toContain(extra);

    await page.getByTestId('port').fill('80');
    await page.getByTestId('save-port').click();
    await expect.poll(() => page.getByTestId('port-error').innerText().catch(() => '')).toContain('from 1024 to 65535');
    await screenshot(page, '1280x800-settings-folders-and-port-error');
    await page.getByTestId('port').fill('9876');
    await page.getByTestId('save-port').click();
    await expect.poll(() => page.getByTestId('port-note').innerText()).toContain('(9876) is for starts without it');
    expect(JSON.parse(readFileSync(join(a.home.root, 'settings.json'), 'utf8'))).toMatchObject({ port: 9876, workspaces: [join(a.home.root, 'udfs'), extra] });
    await shootBoth('00-settings-folders', '/settings', (target) => target.getByTestId('settings-workspaces').waitFor());

    await page.getByTestId('nav-settings').click();
    await page.getByTestId('remove-folder').nth(1).click();
    await expect.poll(() => page.locator('[data-testid="library-item"][data-name="Extra_Udf"]').count(), { timeout: 15_000 }).toBe(0);
    expect((JSON.parse(readFileSync(join(a.home.root, 'settings.json'), 'utf8')) as { workspaces: string[] }).workspaces).toEqual([join(a.home.root, 'udfs')]);
  });
});

describe('remote engines in the window', () => {
  it('adds B in Settings; a bad entry is refused inline, the token is never shown', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-remotes').waitFor();
    expect(await page.getByTestId('settings-remotes').innerText()).toContain('No remote engine yet');
    await page.getByTestId('remote-name').fill('9lives');
    await page.getByTestId('remote-url').fill(b.url);
    await page.getByTestId('remote-token').fill(privateTokenOf(b.home));
    await page.getByTestId('add-remote').click();
    await expect.poll(() => page.getByTestId('remote-error').innerText().catch(() => '')).toContain('is not a usable remote name');
    await page.getByTestId('remote-name').fill('B');
    await page.getByTestId('remote-url').fill('ftp://nowhere');
    await page.getByTestId('add-remote').click();
    await expect.poll(() => page.getByTestId('remote-error').innerText().catch(() => '')).toContain('must start with http:// or https://');
    await page.getByTestId('remote-url').fill(b.url);
    await page.getByTestId('add-remote').click();
    await page.locator('[data-testid="remote-row"][data-name="B"]').waitFor();
    expect(await page.getByTestId('remote-error').count()).toBe(0);
    expect(await page.getByTestId('remote-token').inputValue()).toBe('');
    expect(await page.content()).not.toContain(privateTokenOf(b.home));
    await page.getByTestId('sync-row').waitFor();
    await shootBoth('01-settings-remotes', '/settings', (target) => target.locator('[data-testid="remote-row"][data-name="B"]').waitFor());
  });

  it('shows a new UDF as not on B, pushes it, and the library says synced', async () => {
    await openUdf(page, 'Shared_Layer');
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('local-only');
    expect(await libraryState('Shared_Layer')).toBe('local-only');
    // Examples both homes were seeded with are the same on both sides.
    expect(await libraryState('Hello_World')).toBe('synced');
    await page.getByTestId('push').click();
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('synced');
    expect(await libraryState('Shared_Layer')).toBe('synced');
    expect(readFileSync(codeFile(b, 'Shared_Layer'), 'utf8')).toBe(readFileSync(codeFile(a, 'Shared_Layer'), 'utf8'));
  });

  it('sees a change made on B as it happens, and pulls it', async () => {
    appendFileSync(codeFile(b, 'Shared_Layer'), '# changed on B\n');
    // No click, no reload: B's event stream reaches A, and A's window hears it.
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('remote-changes');
    await shootBoth('02-remote-changes', '/udf/Shared_Layer', async (target) => {
      await expect.poll(() => syncState(target), { timeout: 20_000 }).toBe('remote-changes');
    });
    await page.getByTestId('pull').click();
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('synced');
    expect(readFileSync(codeFile(a, 'Shared_Layer'), 'utf8')).toContain('# changed on B');
    // The page shows the pulled code (the watcher reloads it).
    await expect.poll(() => editorText(page), { timeout: 15_000 }).toContain('# changed on B');
  });

  it('shows a conflict, and keeping mine takes a choice and a confirmation', async () => {
    appendFileSync(codeFile(a, 'Shared_Layer'), '# mine\n');
    appendFileSync(codeFile(b, 'Shared_Layer'), '# theirs\n');
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('conflict');
    await page.getByTestId('conflict-banner').waitFor();
    expect(await libraryState('Shared_Layer')).toBe('conflict');
    await shootBoth('03-conflict', '/udf/Shared_Layer', (target) => target.getByTestId('conflict-banner').waitFor({ timeout: 20_000 }));

    // Push on a conflict asks which copy to keep; nothing is sent yet.
    await page.getByTestId('push').click();
    await page.getByTestId('keep-mine').waitFor();
    await screenshot(page, '1280x800-sync-04-conflict-choice');
    await page.getByTestId('keep-mine').click();
    await page.getByTestId('confirm-force').waitFor();
    expect(await page.getByRole('dialog').innerText()).toContain('changes to Shared_Layer since the last sync are lost');
    await screenshot(page, '1280x800-sync-05-conflict-confirm');
    expect(readFileSync(codeFile(b, 'Shared_Layer'), 'utf8')).toContain('# theirs');
    await page.getByTestId('confirm-force').click();
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('synced');
    const theirs = readFileSync(codeFile(b, 'Shared_Layer'), 'utf8');
    expect(theirs).toContain('# mine');
    expect(theirs).not.toContain('# theirs');
    expect(await page.getByTestId('conflict-banner').count()).toBe(0);
  });

  it('takes theirs the same way', async () => {
    appendFileSync(codeFile(a, 'Shared_Layer'), '# mine again\n');
    appendFileSync(codeFile(b, 'Shared_Layer'), '# theirs again\n');
    await page.getByTestId('conflict-banner').waitFor({ timeout: 20_000 });
    await page.getByTestId('resolve-conflict').click();
    await page.getByTestId('take-theirs').click();
    await page.getByTestId('confirm-force').click();
    await expect.poll(() => syncState(), { timeout: 20_000 }).toBe('synced');
    const mine = readFileSync(codeFile(a, 'Shared_Layer'), 'utf8');
    expect(mine).toContain('# theirs again');
    expect(mine).not.toContain('# mine again');
  });

  it('lists a UDF only B has, and pulls it into the workspace', async () => {
    const folder = join(b.home.root, 'udfs', 'From_B');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'meta.json'), metaJson('From_B'));
    writeFileSync(join(folder, 'From_B.py'), '@fused.udf\ndef udf(n: int = 2):\n    import pandas as pd\n    return pd.DataFrame({"from": ["B"] * n})\n');
    const item = page.locator('[data-testid="remote-only-item"][data-name="From_B"]');
    await item.waitFor({ timeout: 20_000 });
    await shootBoth('06-library-remote-only', '/', async (target) => {
      const listed = target.locator('[data-testid="remote-only-item"][data-name="From_B"]');
      await listed.waitFor({ timeout: 20_000 });
      await listed.scrollIntoViewIfNeeded();
    });
    await item.getByTestId('pull-new').click();
    await page.getByTestId('udf-page').waitFor();
    await expect.poll(() => page.locator('.udf-header h1').innerText(), { timeout: 15_000 }).toContain('From_B');
    expect(existsSync(codeFile(a, 'From_B'))).toBe(true);
    await expect.poll(() => libraryState('From_B'), { timeout: 20_000 }).toBe('synced');
    expect(await page.locator('[data-testid="remote-only-item"][data-name="From_B"]').count()).toBe(0);
  });

  it('switches a tile UDF to B: its tiles come from B, and back', async () => {
    await openUdf(page, 'Tile_Grid');
    await expect.poll(async () => (await readTiles(page)).filter((tile) => tile.painted > 0).length, { timeout: 30_000 }).toBeGreaterThan(2);
    expect(await page.getByTestId('engine-switch').getAttribute('data-engine')).toBe('local');
    await page.locator('[data-testid="engine-option"][data-remote="B"]').click();
    await expect.poll(() => page.getByTestId('engine-switch').getAttribute('data-engine')).toBe('B');
    await expect.poll(async () => {
      const tiles = await readTiles(page);
      return tiles.length > 2 && tiles.every((tile) => tile.version.endsWith('@B') && tile.painted > 1000);
    }, { timeout: 30_000 }).toBe(true);
    // Tiles asked for after the switch (their version names B) were answered by B.
    const switched = tileAnswers.filter((answer) => answer.url.searchParams.get('v')?.endsWith('@B'));
    expect(switched.length).toBeGreaterThan(2);
    expect(switched.map((answer) => answer.engine)).toEqual(switched.map(() => 'B'));
    expect(tileAnswers.filter((answer) => !answer.url.searchParams.get('v')?.endsWith('@B')).every((answer) => answer.engine === 'local')).toBe(true);
    await shootBoth('07-engine-remote', '/udf/Tile_Grid', async (target) => {
      await expect.poll(() => target.getByTestId('engine-switch').getAttribute('data-engine')).toBe('B');
      await expect.poll(async () => (await readTiles(target)).filter((tile) => tile.version.endsWith('@B') && tile.painted > 0).length, { timeout: 30_000 }).toBeGreaterThan(0);
    });
    // A file UDF switched to B says where its result came from.
    await openUdf(page, 'Hello_World');
    await page.locator('[data-testid="engine-option"][data-remote="B"]').click();
    await expect.poll(() => page.getByTestId('run-engine').innerText().catch(() => ''), { timeout: 20_000 }).toBe('on B');
    await page.getByTestId('result-table').waitFor();
    await page.locator('[data-testid="engine-option"][data-remote="local"]').click();
    await expect.poll(() => page.getByTestId('run-engine').count(), { timeout: 20_000 }).toBe(0);
  });

  it('says so at once when B goes away, and local work carries on', async () => {
    await b.stop();
    await expect.poll(() => page.getByTestId('sync-error').innerText().catch(() => ''), { timeout: 20_000 }).toBe('unreachable');
    expect(await page.getByTestId('udf-sync').innerText()).toMatch(/Sync with B\s+unreachable/);
    expect(await page.getByTestId('push').isDisabled()).toBe(true);
    await screenshot(page, '1280x800-sync-08-remote-unreachable');
    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('result-table').locator('tbody tr').count(), { timeout: 20_000 }).toBe(3);
  });
});
