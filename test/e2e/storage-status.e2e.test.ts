import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { request } from '../helpers/server.js';
import { holdWriteLock } from '../helpers/sqlite-lock.js';
import { openWindow, windowForFile, type ServedWindow } from './window-harness.js';
import { privateTokenOf } from '../helpers/test-home.js';

let served: ServedWindow;
let browser: Browser;
let page: Page;

windowForFile((opened) => ({ served, browser, page } = opened));

/** Runs a UDF through the private API (not the window), as a script would. */
async function runHello(n: number): Promise<string | undefined> {
  const answer = await request(served.url, '/api/udfs/Hello_World/run', {
    method: 'POST', headers: { authorization: `Bearer ${privateTokenOf(served.home)}`, 'content-type': 'application/json' }, body: JSON.stringify({ params: { n: String(n) } }),
  });
  expect(answer.status).toBe(200);
  return answer.headers['x-udf-studio-cache-error'] as string | undefined;
}

describe("the window's storage status", () => {
  it('#2: shows that results are not being cached while the cache cannot write, and clears when it can', async () => {
    expect(await page.getByTestId('storage-problem').count()).toBe(0);
    const lock = await holdWriteLock(join(served.home.root, 'udf-studio.sqlite'));
    try {
      expect(await runHello(7)).toMatch(/^UDF_ERR_CACHE_WRITE: /);
      const shown = page.getByTestId('storage-problem');
      await shown.waitFor();
      expect(await shown.innerText()).toContain('Results are not being cached');
      expect(await shown.getAttribute('title')).toMatch(/write lock \(SQLITE_BUSY/);
      // A window opened meanwhile learns it when its event stream opens.
      const { context, page: second } = await openWindow(browser, served);
      await second.getByTestId('storage-problem').waitFor();
      await context.close();
    } finally {
      await lock.release();
    }
    expect(await runHello(8)).toBeUndefined();
    await page.getByTestId('storage-problem').waitFor({ state: 'detached' });
  });
});
