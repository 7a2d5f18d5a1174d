/**
 * The window under test: a real `udf-studio serve` on a free port with a throw-away home, and
 * Debian's Chromium driven by playwright-core (never a downloaded browser).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CLI } from '../helpers/cli.js';
import { request } from '../helpers/server.js';
import { makeTestHome, privateTokenOf, type TestHome } from '../helpers/test-home.js';

export const CHROMIUM = process.env.UDF_STUDIO_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface ServedWindow {
  home: TestHome;
  url: string;
  /** The one-time link `serve` printed. */
  link: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `udf-studio serve --port 0` for a fresh home (seeded with the example UDFs). */
export async function serveWindow(extraArgs: string[] = []): Promise<ServedWindow> {
  const home = makeTestHome('udf-studio-e2e-');
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workers', '2', ...extraArgs], {
    env: { ...home.env, XDG_DATA_HOME: join(home.root, 'xdg') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const { url, link } = await new Promise<{ url: string; link: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /^listening on (\S+)$/m.exec(stdout)?.[1];
      const link = /^open the window \(this link works once\): (\S+)$/m.exec(stdout)?.[1];
      if (url && link) {
        clearTimeout(timer);
        resolve({ url, link });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    home, url, link, process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      home.remove();
    },
  };
}

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', ...extraArgs],
  });
}

/**
 * A page signed in through a one-time link, at the given window size: the link `serve` printed the
 * first time, then a new one made with the private token (a link works once).
 */
export async function openWindow(browser: Browser, served: ServedWindow, viewport: Viewport = { width: 1280, height: 800 }, colorScheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, colorScheme });
  const page = await context.newPage();
  const link = linksUsed.has(served) ? await newLink(served) : served.link;
  linksUsed.add(served);
  await page.goto(link);
  // A narrow window starts with the sidebar folded to its rail, without the library's list.
  await page.locator('[data-testid="library-item"], [data-testid="sidebar-rail"]').first().waitFor();
  return { context, page };
}

/** `serve` and Chromium for one test file. */
export interface ServedBrowser {
  served: ServedWindow;
  browser: Browser;
}

/** The same, with a signed-in page. */
export interface OpenedWindow extends ServedBrowser {
  context: BrowserContext;
  page: Page;
}

export interface Viewport {
  width: number;
  height: number;
}

export interface WindowSetup {
  /** The signed-in page's size (1280×800 unless given); null opens none, for a file that opens its own. */
  viewport?: Viewport | null;
  /** Chromium's arguments beyond launchBrowser's own. */
  browserArgs?: string[];
}

/**
 * One window for a whole test file: before its tests, `serve`, Chromium and a signed-in page, handed
 * to `use` (which keeps what the file reads); after them, all closed.
 */
export function windowForFile(use: (opened: OpenedWindow) => void, setup?: WindowSetup & { viewport?: Viewport }): void;
export function windowForFile(use: (opened: ServedBrowser) => void, setup: WindowSetup & { viewport: null }): void;
export function windowForFile(use: (opened: OpenedWindow) => void, setup: WindowSetup = {}): void {
  const opened: Partial<OpenedWindow> = {};
  beforeAll(async () => {
    const served = opened.served = await serveWindow();
    const browser = opened.browser = await launchBrowser(setup.browserArgs);
    // Without a page the overload gave `use` the ServedBrowser type, so it reads no page.
    use(setup.viewport === null ? { served, browser } as OpenedWindow : { served, browser, ...(await openWindow(browser, served, setup.viewport)) });
  });
  afterAll(async () => {
    await opened.browser?.close();
    await opened.served?.stop();
  });
}

const linksUsed = new WeakSet<ServedWindow>();

async function newLink(served: ServedWindow): Promise<string> {
  const made = await request(served.url, '/api/session/link', { method: 'POST', headers: { authorization: `Bearer ${privateTokenOf(served.home)}` } });
  if (made.status !== 201) throw new Error(`no new window link: ${made.text}`);
  return (made.json() as { url: string }).url;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Transitions are finished first, so a chevron is not caught half-turned.
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}
