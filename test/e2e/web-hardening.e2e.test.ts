/**
 * Issue 16 #1 and #4 in a real browser: hostile HTML in a UDF's result, opened in Chromium that
 * holds a window session, must not reach the private API; the window itself keeps working, its
 * sandboxed HTML preview included. What the server answered is observed on the server's side
 * (Node's `http.server.response.finish` diagnostics channel), not from the page.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEngineServer, type EngineServer } from '../../src-main/engine/server/engine-server.js';
import { SESSION_KEY } from '../../src-shared/app-api.js';
import { bearer, request } from '../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../helpers/test-home.js';
import { launchBrowser } from './window-harness.js';

interface Answered {
  method: string;
  url: string;
  status: number;
  withKey: boolean;
  site: string | undefined;
}

const FINISH_CHANNEL = 'http.server.response.finish';
const PRIVATE_PATH = /^\/(api\/|server\/v1\/realtime\/)/;

let home: TestHome;
let server: EngineServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let sharedHtml: string;
const answered: Answered[] = [];
const waiters: Array<{ match: (answer: Answered) => boolean; resolve: (answer: Answered) => void }> = [];

const onFinish = (message: unknown): void => {
  const { request: req, response: res } = message as { request: IncomingMessage; response: ServerResponse };
  const answer: Answered = {
    method: req.method ?? '', url: req.url ?? '', status: res.statusCode, withKey: req.headers[SESSION_KEY.header] !== undefined,
    site: req.headers['sec-fetch-site'],
  };
  answered.push(answer);
  for (const waiter of [...waiters]) {
    if (waiter.match(answer)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(answer);
    }
  }
};

/** Resolves when the server has answered a request that matches (or already has). */
function answeredRequest(match: (answer: Answered) => boolean): Promise<Answered> {
  const seen = answered.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => waiters.push({ match, resolve }));
}

/** The script a hostile parameter puts into the UDF's HTML: every way to the private API it has. */
function hostileScript(marker: string): string {
  const codeRun = JSON.stringify({ step_config: { type: 'udf', udf: { name: 'pwn', code: `@fused.udf\ndef udf():\n    open(${JSON.stringify(marker)}, "w").write("owned")\n    return 1\n` } } });
  return `<p id="hostile">hostile page</p><script>
(async () => {
  let key = null;
  try { key = localStorage.getItem(${JSON.stringify(SESSION_KEY.storage)}); } catch (error) { key = 'storage-refused'; }
  const withKey = key && key !== 'storage-refused' ? { ${JSON.stringify(SESSION_KEY.header)}: key } : {};
  await Promise.allSettled([
    fetch('/api/library', { credentials: 'include' }),
    fetch('/api/library', { credentials: 'include', headers: withKey }),
    fetch('/server/v1/realtime/c/api/v1/run/udf', { method: 'POST', mode: 'no-cors', credentials: 'include', body: ${JSON.stringify(codeRun)} }),
    fetch('/api/udfs/Echo_Html/run', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"params": {}}' }),
  ]);
  await fetch('/healthz?hostile-done=' + encodeURIComponent(String(key)), { mode: 'no-cors' });
})();
</script>`;
}

beforeAll(async () => {
  home = makeTestHome('udf-studio-e2e-');
  const ws = join(home.root, 'ws');
  home.write({
    'ws/Echo_Html/meta.json': metaJson('Echo_Html'),
    // Echoes its parameter into HTML unescaped, as a careless UDF would; its default has a script too.
    'ws/Echo_Html/Echo_Html.py': '@fused.udf\ndef udf(msg: str = "<p id=shown>weather report</p><script>fetch(\'/api/library\')</script>"):\n    return f"<!DOCTYPE html><html><body>{msg}</body></html>"\n',
  });
  subscribe(FINISH_CHANNEL, onFinish);
  server = await startEngineServer({ env: { ...home.env, XDG_DATA_HOME: join(home.root, 'xdg') }, workspaces: [ws], port: 0, poolSize: 1, preload: [] });
  const created = await request(server.url, '/server/v1/udf-access-token/new', { method: 'POST', headers: bearer(server), body: JSON.stringify({ udf_slug: 'Echo_Html' }) });
  sharedHtml = `${server.url}/${(created.json() as { token: string }).token}.html`;
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await context.newPage();
  // A window session in this browser: the cookie, and the key in the engine origin's storage.
  await page.goto(server.sessionLink());
  await page.getByTestId('library-item').first().waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  unsubscribe(FINISH_CHANNEL, onFinish);
  home?.remove();
});

describe('hostile HTML in a result', () => {
  it('#1: a shared HTML result opened where the window has a session cannot reach the private API', async () => {
    const marker = join(home.root, 'owned');
    const before = answered.length;
    const hostile = await context.newPage();
    const response = await hostile.goto(`${sharedHtml}?msg=${encodeURIComponent(hostileScript(marker))}`);
    // Its script ran (it reported back once every attempt had settled) ...
    const done = await answeredRequest((answer) => answer.url.startsWith('/healthz?hostile-done='));
    // The window in the other tab may ask meanwhile, always with its key; the hostile page has none
    // (it could not read the window's storage: checked below).
    const attempts = answered.slice(before).filter((answer) => PRIVATE_PATH.test(answer.url.split('?')[0] as string) && !answer.withKey);
    expect(attempts.map((answer) => `${answer.method} ${answer.url}`).sort()).toEqual([
      'GET /api/library', 'GET /api/library', 'POST /api/udfs/Echo_Html/run', 'POST /server/v1/realtime/c/api/v1/run/udf',
    ]);
    // ... and the server granted none of them: no session cookie from a sandboxed page, no key.
    for (const attempt of attempts) expect(attempt.status, `${attempt.method} ${attempt.url}`).toBe(401);
    expect(existsSync(marker)).toBe(false);
    // The sandbox gave the page an origin of its own: the window's storage was out of its reach.
    expect(done.url).toBe('/healthz?hostile-done=storage-refused');
    // The run's answer: the page itself, served sandboxed.
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe('sandbox allow-scripts');
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    expect(await hostile.locator('#hostile').innerText()).toBe('hostile page');
    await hostile.close();
    // The next run's answer, and the server's health.
    const next = await request(server.url, new URL(sharedHtml).pathname + '?msg=calm');
    expect([next.status, next.text]).toEqual([200, '<!DOCTYPE html><html><body>calm</body></html>']);
    expect((await request(server.url, '/healthz')).status).toBe(200);
  });

  it('#1: the window still shows an HTML result, in a frame whose scripts cannot act as the window', async () => {
    const before = answered.length;
    await page.goto(`${server.url}/#/udf/Echo_Html`);
    const frame = page.getByTestId('result-html');
    await frame.waitFor({ timeout: 15_000 });
    expect(await frame.getAttribute('sandbox')).toBe('');
    await expect.poll(() => page.frameLocator('[data-testid="result-html"]').locator('#shown').innerText(), { timeout: 15_000 }).toBe('weather report');
    // The page itself, not its JSON string: no quotes or escaped newlines around it.
    expect(await page.frameLocator('[data-testid="result-html"]').locator('body').innerText()).not.toMatch(/^"|\\n/);
    // Every private request that succeeded came from the window itself: its key, its origin.
    const run = await answeredRequest((answer) => answer.url === '/api/udfs/Echo_Html/run' && answered.indexOf(answer) >= before);
    expect(run.status).toBe(200);
    const succeeded = answered.filter((answer) => PRIVATE_PATH.test(answer.url) && answer.status < 400);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const answer of succeeded) expect([answer.url, answer.withKey, answer.site]).toEqual([answer.url, true, 'same-origin']);
  });
});

describe('the real window with its session key', () => {
  it('#4: keeps working in Chromium: the key left the address bar, the API and the event stream accept it', async () => {
    await page.reload();
    await page.getByTestId('library-item').first().waitFor();
    expect(page.url()).not.toContain(SESSION_KEY.fragment);
    // The event stream is up ("live" shows once EventSource opened: a 200 with the key in its query).
    await expect.poll(() => page.locator('.connection').innerText(), { timeout: 15_000 }).toBe('live');
    const library = await answeredRequest((answer) => answer.url === '/api/library' && answer.withKey);
    expect([library.status, library.site]).toEqual([200, 'same-origin']);
    expect(await page.getByText('Open the window from its link').count()).toBe(0);
  });

  it('a made-up or malformed key in the address (any site can send one) leaves the session as it was', async () => {
    const kept = await page.evaluate((name) => localStorage.getItem(name), SESSION_KEY.storage);
    for (const offered of ['A'.repeat(43), '%E0%A4%A', '']) {
      // A fresh tab, as when another site sends the browser there.
      const tab = await context.newPage();
      const checked = offered.length === 43 ? tab.waitForResponse((response) => response.url().endsWith('/api/session')) : null;
      await tab.goto(`${server.url}/#${SESSION_KEY.fragment}=${offered}`);
      if (checked) expect((await checked).status()).toBe(401);
      await tab.getByTestId('library-item').first().waitFor();
      expect(tab.url()).toBe(`${server.url}/`);
      expect(await tab.evaluate((name) => localStorage.getItem(name), SESSION_KEY.storage)).toBe(kept);
      await tab.close();
    }
  });
});

describe('the runtime page with its session key', () => {
  it('#5: during a failed first run, the page reached through the link resets with the session, and a forged Origin cannot', async () => {
    // A first run on a machine with no usable Python: setup fails at once and the page offers a reset.
    const first = makeTestHome('udf-studio-e2e-');
    const notPython = first.write({ 'not-python': '#!/bin/sh\necho "this is not Python" >&2\nexit 1\n' });
    chmodSync(notPython, 0o755);
    const env = { ...first.env, UDF_STUDIO_RUNTIME: join(first.root, 'runtime'), UDF_STUDIO_PYTHON: notPython, XDG_DATA_HOME: join(first.root, 'xdg') };
    const failing = await startEngineServer({ env, port: 0, poolSize: 1, preload: [], setupRuntime: { dev: false } });
    const tab = await context.newPage();
    try {
      await failing.settled();
      const forged = await request(failing.url, '/api/runtime/reset', { method: 'POST', headers: { origin: failing.url } });
      expect(forged.status).toBe(401);
      // The link's key follows its redirects (/ → /runtime) and leaves the address bar.
      await tab.goto(failing.sessionLink());
      expect(new URL(tab.url()).pathname).toBe('/runtime');
      await expect.poll(() => tab.locator('#title').innerText(), { timeout: 15_000 }).toBe('The Python runtime could not be set up');
      expect(tab.url()).not.toContain(SESSION_KEY.fragment);
      expect(await tab.evaluate((name) => localStorage.getItem(name), SESSION_KEY.storage)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      tab.once('dialog', (dialog) => void dialog.accept());
      const reset = tab.waitForResponse((response) => response.url().endsWith('/api/runtime/reset'));
      await tab.locator('#reset').click();
      expect((await reset).status()).toBe(202);
      await failing.settled();
      expect(failing.runtime.status).toMatchObject({ phase: 'failed', reason: 'reset' });
    } finally {
      await tab.close();
      await failing.close();
      first.remove();
    }
  });
});
