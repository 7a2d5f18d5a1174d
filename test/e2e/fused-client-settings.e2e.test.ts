import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { screenshot, windowForFile, type ServedWindow } from './window-harness.js';
import { privateTokenOf } from '../helpers/test-home.js';

let served: ServedWindow;
let context: BrowserContext;
let page: Page;
windowForFile((opened) => ({ served, context, page } = opened));

const privateToken = (): string => privateTokenOf(served.home);

async function whoami(): Promise<{ email: string; handle: string }> {
  const response = await fetch(`${served.url}/server/v1/user/self`, { headers: { authorization: `Bearer ${privateToken()}` } });
  return (await response.json()) as { email: string; handle: string };
}

beforeAll(async () => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.url });
});

describe('the official fused client in the window\'s settings', () => {
  it('copies the lines that point the client here, without the token in them', async () => {
    await page.getByTestId('nav-settings').click();
    const lines = page.getByTestId('fused-client-setup');
    await lines.waitFor();
    const shown = await lines.innerText();
    expect(shown).toContain(`fused._env("${served.url}")`);
    expect(shown).toContain(join(served.home.root, 'credentials'));
    expect(shown).not.toContain(privateToken());
    await page.getByTestId('copy-fused-client-setup').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${shown.trim()}\n`);
    await page.getByTestId('settings-fused-client').scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-fused-client');
  });

  it('names the local account, refusing a malformed email next to the field', async () => {
    const before = await whoami();
    expect(await page.getByTestId('account-email').getAttribute('placeholder')).toBe(before.email);
    await page.getByTestId('account-email').fill('not an email');
    await page.getByTestId('save-account').click();
    await expect.poll(() => page.getByTestId('account-error').innerText()).toContain('"email" must be an address');
    expect(await whoami()).toEqual(before);

    await page.getByTestId('account-email').fill('ada@example.com');
    await page.getByTestId('account-handle').fill('ada');
    await page.getByTestId('save-account').click();
    await expect.poll(() => whoami()).toMatchObject({ email: 'ada@example.com', handle: 'ada' });
    await expect.poll(() => page.getByTestId('account-error').count()).toBe(0);

    await page.getByTestId('account-email').fill('');
    await page.getByTestId('account-handle').fill('');
    await page.getByTestId('save-account').click();
    await expect.poll(() => whoami()).toMatchObject({ email: before.email, handle: before.handle });
  });
});

describe('GitHub clones in the window\'s settings', () => {
  const stored = (): unknown => (JSON.parse(readFileSync(join(served.home.root, 'settings.json'), 'utf8')) as { githubClones?: unknown }).githubClones;

  it('adds a clone, refusing a malformed repository name next to the field, and removes it', async () => {
    const clone = join(served.home.root, 'clones', 'udfs.git');
    mkdirSync(clone, { recursive: true });
    execFileSync('git', ['init', '-q', '--bare', clone]);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-github-clones').scrollIntoViewIfNeeded();

    await page.getByTestId('clone-repo').fill('udfs');
    await page.getByTestId('clone-path').fill(clone);
    await page.getByTestId('add-clone').click();
    await expect.poll(() => page.getByTestId('clone-error').innerText()).toContain('names repositories as "org/repo"');
    expect(await page.getByTestId('clone-row').count()).toBe(0);

    await page.getByTestId('clone-repo').fill('fusedio/udfs');
    await page.getByTestId('add-clone').click();
    const row = page.locator('[data-testid="clone-row"][data-repo="fusedio/udfs"]');
    await row.waitFor();
    expect(await row.innerText()).toContain(clone);
    expect(stored()).toEqual({ 'fusedio/udfs': clone });
    await expect.poll(() => page.getByTestId('clone-error').count()).toBe(0);
    await screenshot(page, 'settings-github-clones');

    await row.getByTestId('remove-clone').click();
    await expect.poll(() => page.getByTestId('clone-row').count()).toBe(0);
    expect(stored()).toBeNull();
  });
});
