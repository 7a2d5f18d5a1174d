import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';
import { findElectronBinary } from '../../src-main/electron/electron-binary.js';
import { homeForEachTest } from '../helpers/test-home.js';

// The real desktop app through Playwright's Electron driver. It needs Electron's binary, which
// `npm run electron:download` fetches where it can be downloaded; elsewhere this says why it skips.
const electron = findElectronBinary();
const APP_DIR = fileURLToPath(new URL('../../', import.meta.url));
if (electron.path === null) process.stdout.write(`skipping the Electron app test: ${electron.reason} (run "npm run electron:download" where Electron can be downloaded)\n`);

const home = homeForEachTest();

describe.skipIf(electron.path === null)('the desktop app in Electron', () => {
  it('opens its window on the engine, sandboxed with the preload\'s API only, and quits with its workers', async () => {
    const app = await _electron.launch({ executablePath: electron.path as string, args: [APP_DIR], env: home.env as Record<string, string> });
    const page = await app.firstWindow();
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//);
    // Page code as strings: the tests are type-checked without the DOM's types.
    await page.waitForFunction('document.body.innerText.length > 0');
    expect(await page.evaluate('typeof window.require + typeof window.process')).toBe('undefinedundefined');
    expect(await page.evaluate('Object.keys(window.udfStudioDesktop).sort()')).toEqual(['chooseFolder', 'openInEditor', 'revealPath', 'setCurrentUdf']);
    const phase = await page.evaluate('fetch("/api/runtime").then((r) => r.json()).then((body) => body.phase)');
    expect(['checking', 'setting-up', 'starting', 'ready']).toContain(phase);
    await app.close();
  });
});
