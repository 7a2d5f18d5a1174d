/**
 * The window's frame (issue 17): theme, icons, resizable panes and the folding sidebar, keyboard
 * use (quick-open, library arrows, skip links, dialogs), Share on the UDF page, and Jobs rows.
 */

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { request } from '../helpers/server.js';
import { metaJson, privateTokenOf } from '../helpers/test-home.js';
import { screenshot, windowForFile, type ServedWindow } from './window-harness.js';

let served: ServedWindow;
let page: Page;

const privateToken = (): string => privateTokenOf(served.home);

async function openUdf(name: string): Promise<void> {
  await page.goto(`${served.url}/#/udf/${name}`);
  await page.getByTestId('udf-page').waitFor();
  await expect.poll(() => page.locator('.udf-header h1').innerText()).toContain(name);
}

const background = (): Promise<string> => page.evaluate(() => getComputedStyle(document.body.querySelector('.main') as Element).backgroundColor);
const focused = (): Promise<string> => page.evaluate(() => {
  const element = document.activeElement as HTMLElement | null;
  return element?.dataset.testid ?? element?.getAttribute('aria-label') ?? element?.tagName ?? '';
});

windowForFile((opened) => ({ served, page } = opened), { viewport: { width: 1440, height: 900 } });

describe('theme', () => {
  it('follows the OS setting until the switch pins light or dark, and remembers the choice', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).not.toBe(light);
    const dark = await background();
    expect(await page.evaluate(() => document.documentElement.dataset.theme ?? 'system')).toBe('system');

    await page.getByTestId('theme-switch').getByRole('radio', { name: 'Light theme' }).click();
    await expect.poll(background).toBe(light);
    await page.reload();
    await page.getByTestId('library-item').first().waitFor();
    expect(await background()).toBe(light);
    expect(await page.getByRole('radio', { name: 'Light theme' }).getAttribute('aria-checked')).toBe('true');

    // Arrow keys move within the switch, as in any radio group.
    await page.getByRole('radio', { name: 'Light theme' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(background).toBe(dark);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe(dark);

    await page.getByRole('radio', { name: 'Follow the system theme' }).click();
    await expect.poll(background).toBe(light);
  });

  it('draws its icons from one icon set', async () => {
    expect(await page.locator('[data-testid="nav-jobs"] svg.lucide').count()).toBe(1);
    expect(await page.locator('[data-testid="theme-switch"] svg.lucide').count()).toBe(3);
    expect(await page.locator('[data-testid="new-udf"] svg.lucide-plus').count()).toBe(1);
  });
});

describe('layout', () => {
  it('the code and output panes resize by dragging or arrow keys, and keep their size', async () => {
    await openUdf('Tile_Grid');
    const width = (selector: string): Promise<number> => page.locator(selector).evaluate((element) => element.getBoundingClientRect().width);
    const before = await width('.output-column');
    const divider = page.getByTestId('divider-udf-split');
    const box = await divider.boundingBox();
    if (!box) throw new Error('no divider');
    await page.mouse.move(box.x + box.width / 2, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(box.x - 250, box.y + 200, { steps: 5 });
    await page.mouse.up();
    const dragged = await width('.output-column');
    expect(dragged).toBeGreaterThan(before + 200);
    // The map follows its pane.
    await expect.poll(() => width('.leaflet-container')).toBeGreaterThan(dragged - 10);

    await divider.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => width('.output-column')).toBeLessThan(dragged);
    const kept = await width('.output-column');
    await page.reload();
    await page.getByTestId('udf-page').waitFor();
    await expect.poll(() => width('.output-column')).toBeCloseTo(kept, 0);
    await screenshot(page, 'shell-resized-split');
  });

  it('the sidebar folds to a rail and unfolds, remembered across reloads', async () => {
    const mainWidth = (): Promise<number> => page.locator('main').evaluate((element) => element.getBoundingClientRect().width);
    const open = await mainWidth();
    await page.getByTestId('sidebar-collapse').click();
    await page.getByTestId('sidebar-rail').waitFor();
    expect(await page.getByTestId('sidebar').count()).toBe(0);
    expect(await mainWidth()).toBeGreaterThan(open + 150);
    await page.reload();
    await page.getByTestId('sidebar-rail').waitFor();
    await page.getByTestId('nav-jobs').click();
    await page.locator('.page h1').filter({ hasText: 'Jobs' }).waitFor();
    await screenshot(page, 'shell-sidebar-folded');
    await page.getByTestId('sidebar-expand').click();
    await page.getByTestId('sidebar').waitFor();

    const sidebarWidth = (): Promise<number> => page.getByTestId('sidebar').evaluate((element) => element.getBoundingClientRect().width);
    const wide = await sidebarWidth();
    await page.getByTestId('divider-sidebar-width').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect.poll(sidebarWidth).toBeCloseTo(wide + 32, 0);
  });
});

describe('keyboard', () => {
  it('Ctrl+K and Ctrl+P open any UDF or view, from anywhere, the editor included', async () => {
    await openUdf('Hello_World');
    await page.getByTestId('code-editor').click();
    await page.keyboard.press('Control+k');
    const input = page.getByTestId('quick-open-input');
    await input.waitFor();
    expect(await focused()).toBe('quick-open-input');
    await input.pressSequentially('tilegr');
    await expect.poll(() => page.getByTestId('quick-open-item').first().innerText()).toContain('Tile_Grid');
    await screenshot(page, 'shell-quick-open');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.udf-header h1').innerText()).toContain('Tile_Grid');
    expect(await page.getByTestId('quick-open').count()).toBe(0);

    await page.keyboard.press('Control+p');
    await input.pressSequentially('jobs');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/jobs');

    await page.keyboard.press('Control+k');
    await input.pressSequentially('zzzz');
    await page.getByText('Nothing matches “zzzz”').waitFor();
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('quick-open').count()).toBe(0);
  });

  it('the library is one Tab stop walked with the arrows; Enter opens', async () => {
    await openUdf('Hello_World');
    await page.getByTestId('library-search').fill('');
    await page.getByTestId('library-search').focus();
    await page.keyboard.press('ArrowDown');
    const first = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.name);
    await page.keyboard.press('ArrowDown');
    const second = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.name);
    expect(second).not.toBe(first);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/udf/${second}`);
    // Only one item of the list is in the Tab order: the open UDF.
    expect(await page.locator('[data-testid="library-item"][tabindex="0"]').count()).toBe(1);
    expect(await page.locator(`[data-testid="library-item"][tabindex="0"]`).getAttribute('data-name')).toBe(second);

    await page.getByTestId('library-search').fill('hello');
    await page.getByTestId('library-search').press('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/udf/Hello_World');
    await page.getByTestId('library-search').fill('');
  });

  it('a skip link reaches the editor, and Run is a few keys from the top of the page', async () => {
    await openUdf('Hello_World');
    const fromTheTop = async (): Promise<void> => {
      await page.reload();
      await page.getByTestId('udf-page').waitFor();
    };
    await fromTheTop();
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('skip-to-editor');
    await page.keyboard.press('Enter');
    // The editor's own text area (CodeMirror's content element) takes the keys.
    expect(await page.evaluate(() => document.activeElement?.matches('[data-testid="code-editor"] .cm-content') ?? false)).toBe(true);

    await fromTheTop();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('skip-to-main');
    await page.keyboard.press('Enter');
    let presses = 3;
    while ((await focused()) !== 'run' && presses < 20) {
      await page.keyboard.press('Tab');
      presses++;
    }
    expect(await focused()).toBe('run');
    // Was 14 Tabs: the sidebar's every UDF and link came first.
    expect(presses).toBeLessThanOrEqual(7);
  });

  it('dialogs focus their first field and say what is wrong with a name under it', async () => {
    served.home.write({ 'udfs/Not_A_Udf/notes.txt': 'a folder that is not a UDF\n' });
    await page.getByTestId('new-udf').click();
    const field = page.getByTestId('name-field');
    await field.waitFor();
    expect(await focused()).toBe('name-field');
    await field.fill('2fast');
    expect(await page.getByTestId('name-error').innerText()).toBe('Start with a letter.');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await field.fill('Hello_World');
    expect(await page.getByTestId('name-error').innerText()).toBe('Hello_World already exists.');
    await page.getByTestId('create-udf').click();
    expect(await field.count()).toBe(1);
    await screenshot(page, 'shell-new-udf-error');
    // What only the engine knows shows under the field too, not only as a toast.
    await field.fill('Not_A_Udf');
    await expect.poll(() => page.getByTestId('name-error').count()).toBe(0);
    await page.getByTestId('create-udf').click();
    await expect.poll(() => page.getByTestId('name-error').innerText()).toContain('already exists');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('name-field').count()).toBe(0);

    await openUdf('Hello_World');
    await page.getByTestId('more-actions').click();
    await page.getByRole('menuitem', { name: 'Duplicate…' }).click();
    expect(await focused()).toBe('name-field');
    expect(await field.inputValue()).toBe('Hello_World_copy');
    await field.fill('has space');
    expect(await page.getByTestId('name-error').innerText()).toBe('Use only letters, digits, _ and - (no spaces).');
    // Tab stays inside the dialog.
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]')))).toBe(true);
    await page.keyboard.press('Escape');
  });
});

describe('Share', () => {
  it('is a dialog on the UDF page that makes a working token', async () => {
    await openUdf('Raster_Gradient');
    await page.getByTestId('share').click();
    await page.getByTestId('share-create').click();
    const template = await page.getByTestId('token-url-tile-url-template').inputValue();
    expect(template).toMatch(/\/fsh_[A-Za-z0-9_-]+\/run\/tiles\/\{z\}\/\{x\}\/\{y\}\.png$/);
    expect(await page.evaluate(() => location.hash)).toBe('#/udf/Raster_Gradient');
    expect(await page.getByTestId('udf-page').count()).toBe(1);
    await screenshot(page, 'shell-share-dialog');
    const tile = await request(served.url, new URL(template.replace('{z}/{x}/{y}', '3/4/2')).pathname);
    expect(tile.status).toBe(200);
    expect(tile.body.subarray(1, 4).toString()).toBe('PNG');
    await page.getByRole('button', { name: 'Done' }).click();

    // A second Share says a token already exists.
    await page.getByTestId('share').click();
    await expect.poll(() => page.getByTestId('share-existing').innerText()).toContain('One token already shares Raster_Gradient');
    await page.keyboard.press('Escape');
  });
});

describe('Jobs', () => {
  it('a row expands in place and a finished run downloads its result', async () => {
    const submitted = await request(served.url, '/api/jobs', {
      method: 'POST', headers: { authorization: `Bearer ${privateToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ udf: 'Hello_World', argList: [{ n: 1 }, { n: -1 }, { n: 2 }], maxRetry: 0 }),
    });
    expect(submitted.status).toBe(201);
    const id = (submitted.json() as { id: string }).id;
    await page.goto(`${served.url}/#/jobs`);
    const job = page.locator(`[data-job-id="${id}"]`);
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
    const toggle = job.getByTestId('job-toggle');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => job.getByTestId('job-run').count()).toBe(3);
    expect(await job.getByTestId('job-run').nth(1).innerText()).toContain('n must be zero or more');
    expect(await job.getByTestId('job-percent').innerText()).toBe('100%');
    await screenshot(page, 'shell-job-expanded');

    const [download] = await Promise.all([page.waitForEvent('download'), job.getByTestId('download-result').first().click()]);
    const file = readFileSync(await download.path());
    const direct = await request(served.url, `/api/jobs/${id}/runs/0/result`, { headers: { authorization: `Bearer ${privateToken()}` } });
    expect(direct.status).toBe(200);
    expect(file.equals(direct.body)).toBe(true);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^Hello_World-${id.slice(0, 8)}-run0\\.[a-z]+$`));
    // The failed run has nothing to download.
    expect(await job.getByTestId('job-run').nth(1).getByTestId('download-result').count()).toBe(0);

    await toggle.click();
    expect(await job.getByTestId('job-run').count()).toBe(0);
  });

  it('a cancelled job does not count its cancelled runs as done', async () => {
    served.home.write({
      'udfs/Slow_Job/meta.json': metaJson('Slow_Job'),
      'udfs/Slow_Job/Slow_Job.py': '@fused.udf\ndef udf(i: int = 0):\n    import time\n    time.sleep(0.3)\n    return {"i": i}\n',
    });
    await expect.poll(() => page.getByTestId('job-udf').locator('option[value="Slow_Job"]').count(), { timeout: 15_000 }).toBe(1);
    await page.getByTestId('job-udf').selectOption('Slow_Job');
    await page.getByTestId('job-args').fill(JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ i }))));
    await page.locator('.job-form input[inputmode="numeric"]').fill('1');
    await page.getByTestId('submit-job').click();
    const job = page.getByTestId('job').filter({ hasText: 'Slow_Job' }).first();
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 15_000 }).toBe('cancelled');
    const percent = Number((await job.getByTestId('job-percent').innerText()).replace('%', ''));
    expect(percent).toBeLessThan(100);
    expect(await job.getByTestId('job-counts').innerText()).toMatch(/^\d+ of 20 done · \d+ cancelled$/);
    await screenshot(page, 'shell-job-cancelled');
  });
});

describe('preferences', () => {
  it('a malformed or out-of-range stored value reads as the default', async () => {
    await openUdf('Hello_World');
    await page.evaluate(() => {
      localStorage.setItem('udf-studio.ui.theme', '"purple"');
      localStorage.setItem('udf-studio.ui.udf-split', 'not json');
      localStorage.setItem('udf-studio.ui.sidebar-width', '99999');
      localStorage.setItem('udf-studio.ui.sidebar-collapsed', '"yes"');
    });
    await page.reload();
    await page.getByTestId('udf-page').waitFor();
    expect(await page.getByRole('radio', { name: 'Follow the system theme' }).getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('sidebar').count()).toBe(1);
    expect(await page.getByTestId('divider-udf-split').getAttribute('aria-valuenow')).toBe('46');
    // Too wide is held to the largest width the divider allows.
    expect(await page.getByTestId('divider-sidebar-width').getAttribute('aria-valuenow')).toBe('440');
  });
});
