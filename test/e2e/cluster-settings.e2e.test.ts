import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshot, windowForFile, type ServedWindow } from './window-harness.js';

let served: ServedWindow;
let page: Page;
windowForFile((opened) => ({ served, page } = opened));

const stored = (): unknown => JSON.parse(readFileSync(join(served.home.root, 'clusters.json'), 'utf8'));

describe('Dask clusters in the window\'s settings', () => {
  it('adds a cluster, shows a bad address\'s error, and removes it', async () => {
    await page.getByTestId('nav-settings').click();
    const card = page.getByTestId('cluster-settings');
    await card.waitFor();
    await expect.poll(() => card.innerText()).toContain('None yet');

    await page.getByTestId('cluster-name').fill('lab');
    await page.getByTestId('cluster-address').fill('http://10.0.0.7:8786');
    await card.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => page.getByTestId('cluster-problem').innerText()).toContain('must start with tcp://');

    await page.getByTestId('cluster-address').fill('tcp://10.0.0.7:8786');
    await card.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => page.getByTestId('cluster').count()).toBe(1);
    expect(await page.getByTestId('cluster').innerText()).toContain('tcp://10.0.0.7:8786');
    expect(await page.getByTestId('cluster-problem').count()).toBe(0);
    expect(stored()).toEqual({ clusters: [{ name: 'lab', address: 'tcp://10.0.0.7:8786' }] });
    await screenshot(page, 'cluster-settings');

    await page.getByTestId('cluster-remove').click();
    await expect.poll(() => page.getByTestId('cluster').count()).toBe(0);
    expect(stored()).toEqual({ clusters: [] });
  });
});
