import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshot, windowForFile, type ServedWindow } from './window-harness.js';

const VALUE = 'typed-in-the-window-6604';

let served: ServedWindow;
let page: Page;
windowForFile((opened) => ({ served, page } = opened));

const stored = (): unknown => JSON.parse(readFileSync(join(served.home.root, 'secrets.json'), 'utf8'));

describe('the Secrets view', () => {
  it('adds a secret whose value is hidden and never shown back, replaces it, and removes it after a confirmation', async () => {
    const answers: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/api/secrets')) void response.text().then((text) => answers.push(text), () => {});
    });
    await page.getByTestId('nav-secrets').click();
    await page.getByTestId('secrets-empty').waitFor();

    await page.getByTestId('secret-name').fill('my key');
    await expect.poll(() => page.getByTestId('secret-problem').innerText()).toContain('A name is a letter or _');
    expect(await page.getByTestId('secret-save').isDisabled()).toBe(true);

    await page.getByTestId('secret-name').fill('API_KEY');
    await page.getByTestId('secret-value').fill(VALUE);
    expect(await page.getByTestId('secret-value').getAttribute('type')).toBe('password');
    await screenshot(page, 'secrets-add');
    await page.getByTestId('secret-save').click();
    await expect.poll(() => page.getByTestId('secret').count()).toBe(1);
    expect(await page.getByTestId('secret').innerText()).toContain('fused.secrets["API_KEY"]');
    // The field is cleared once sent, and nothing on the page holds the value.
    expect(await page.getByTestId('secret-value').inputValue()).toBe('');
    expect(await page.content()).not.toContain(VALUE);
    expect(stored()).toEqual({ secrets: { API_KEY: VALUE } });

    await page.getByTestId('secret-name').fill('OTHER');
    await page.getByTestId('secret-value').fill('second-value');
    await page.getByTestId('secret-save').click();
    await expect.poll(() => page.getByTestId('secret').count()).toBe(2);
    await page.getByTestId('secret-name').fill('API_KEY');
    expect(await page.getByTestId('secret-save').innerText()).toBe('Replace');
    await page.getByTestId('secret-name').fill('');
    await screenshot(page, 'secrets');

    await page.locator('[data-testid="secret"][data-name="OTHER"]').getByTestId('secret-remove').click();
    expect(await page.getByRole('dialog').innerText()).toContain('Remove secret OTHER?');
    await screenshot(page, 'secrets-remove');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByTestId('secret').count()).toBe(2);
    await page.locator('[data-testid="secret"][data-name="OTHER"]').getByTestId('secret-remove').click();
    await page.getByTestId('secret-remove-confirm').click();
    await expect.poll(() => page.getByTestId('secret').count()).toBe(1);
    expect(stored()).toEqual({ secrets: { API_KEY: VALUE } });

    expect(answers.length).toBeGreaterThan(3);
    for (const answer of answers) expect(answer).not.toMatch(/typed-in-the-window|second-value/);
  });

  it('shows the engine\'s refusal of a value that is too long', async () => {
    await page.getByTestId('secret-name').fill('TOO_LONG');
    await page.getByTestId('secret-value').fill('v'.repeat(65_537));
    await page.getByTestId('secret-save').click();
    await expect.poll(() => page.getByTestId('secret-problem').innerText()).toBe('the value of secret "TOO_LONG" is over 65536 bytes');
    expect(await page.getByTestId('secret-value').inputValue()).toBe('');
    expect(await page.getByTestId('secret').count()).toBe(1);
  });
});
