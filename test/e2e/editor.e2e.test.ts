import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { metaJson } from '../helpers/test-home.js';
import { editorText, focusEditorEnd, replaceEditorText } from './editor-support.js';
import { openWindow, screenshot, windowForFile, type OpenedWindow } from './window-harness.js';

/** The code editor (CodeMirror), README rendering and no lost work, in Chromium on a real engine. */

let opened: OpenedWindow;
let page: Page;
windowForFile((made) => {
  opened = made;
  page = made.page;
});

const SCRATCH = '@fused.udf\ndef udf(n: int = 1):\n    return {"n": n}\n';
const udfFile = (name: string): string => join(opened.served.home.root, 'udfs', name, `${name}.py`);

async function openFromLibrary(name: string): Promise<void> {
  await page.getByTestId('library-search').fill('');
  await page.locator(`[data-testid="library-item"][data-name="${name}"]`).first().click();
  await expect.poll(() => page.locator('.udf-header h1').innerText().catch(() => '')).toContain(name);
  await page.locator('[data-testid="code-editor"] .cm-content').waitFor();
}

/** The text of the line the editor marks as an error (its lint diagnostic tints the line). */
async function errorLineText(): Promise<string> {
  return page.locator('.cm-error-line').first().innerText({ timeout: 20_000 });
}

beforeAll(async () => {
  opened.served.home.write({
    'udfs/Scratch/meta.json': metaJson('Scratch'),
    'udfs/Scratch/Scratch.py': SCRATCH,
    'udfs/Scratch/README.md': '# Scratch\n\nSome **bold** text and `code`.\n\n<script>window.pwned = 1</script>\n\n<img src="x" onerror="window.pwned = 2">\n\n[a bad link](javascript:window.pwned=3) and [a good one](https://example.org/)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\ndef udf():\n    return "</code><script>window.pwned = 4</script>"\n```\n',
    'udfs/Tile_Raise/meta.json': metaJson('Tile_Raise', { metadata: { 'fused:name': 'Tile_Raise', 'fused:udfType': 'vector_tile' } }),
    'udfs/Tile_Raise/Tile_Raise.py': '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    raise RuntimeError("no tiles today")\n',
  });
  await page.locator('[data-testid="library-item"][data-name="Tile_Raise"]').waitFor({ timeout: 15_000 });
});

describe('the code editor', () => {
  it('loads after the window\'s first view: CodeMirror is not in the code the first paint waits for', async () => {
    const index = await (await fetch(`${opened.served.url}/`)).text();
    const entry = /<script type="module"[^>]* src="([^"]+)"/.exec(index)?.[1];
    if (!entry) throw new Error(`no entry script in ${index}`);
    // Neither preloaded by the page nor imported by its entry module: the editor chunk is fetched later.
    expect(index).not.toMatch(/editor-[\w-]+\.js/);
    const entryCode = await (await fetch(`${opened.served.url}${entry}`)).text();
    expect(entryCode).not.toMatch(/from\s*"\.\/editor-[\w-]+\.js"/);
    expect(entryCode).toMatch(/import\("\.\/CodeEditor-[\w-]+\.js"\)/);
    // A fresh page shows the library, then fetches the editor while idle; a UDF gets its editor.
    const fresh = await opened.context.newPage();
    try {
      const editorRequests: string[] = [];
      fresh.on('request', (request) => { if (/\/assets\/editor-/.test(request.url())) editorRequests.push(request.url()); });
      await fresh.goto(`${opened.served.url}/#/udf/Scratch`);
      await fresh.locator('[data-testid="code-editor"] .cm-content').waitFor();
      expect(editorRequests).toHaveLength(1);
      expect(await fresh.locator('[data-testid="code-editor"] .cm-content').innerText()).toContain('def udf(n: int = 1):');
    } finally {
      await fresh.close();
    }
  });

  it("keeps Python's indentation on Enter, and Tab / Shift+Tab indent and outdent a selected block", async () => {
    await openFromLibrary('Scratch');
    expect(await editorText(page)).toBe(SCRATCH);
    await focusEditorEnd(page);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    // The new line after the body of udf() keeps its indent; go back to the top level.
    await page.keyboard.press('Shift+Tab');
    for (const part of ['def helper(x):', 'if x:', 'return 1']) {
      await page.keyboard.type(part);
      // Close a completion popup, if one opened, so that Enter breaks the line.
      await page.keyboard.press('Escape');
      if (part !== 'return 1') await page.keyboard.press('Enter');
    }
    expect(await editorText(page)).toContain('\ndef helper(x):\n    if x:\n        return 1');

    // Select the three lines and indent them: nothing is deleted.
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Tab');
    expect(await editorText(page)).toContain('\n    def helper(x):\n        if x:\n            return 1');
    await page.keyboard.press('Shift+Tab');
    expect(await editorText(page)).toContain('\ndef helper(x):\n    if x:\n        return 1');
    // The file's tab shows it has unsaved edits.
    expect(await page.getByTestId('file-tab').first().innerText()).toContain('•');
  });

  it('matches brackets and finds and replaces with Ctrl+F', async () => {
    await focusEditorEnd(page);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Control+f');
    const searchField = page.locator('.cm-search input[name="search"]');
    await searchField.waitFor();
    await searchField.fill('return');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.cm-searchMatch').count()).toBeGreaterThanOrEqual(2);
    await page.locator('.cm-search input[name="replace"]').fill('yield');
    await page.locator('.cm-search button[name="replaceAll"]').click();
    expect(await editorText(page)).not.toContain('return');
    expect((await editorText(page)).match(/yield/g)).toHaveLength(2);
    await page.keyboard.press('Escape');
    await page.locator('.cm-search').waitFor({ state: 'detached' });
    // Undo brings every `return` back in one step.
    await page.locator('[data-testid="code-editor"] .cm-content').click();
    await page.keyboard.press('Control+z');
    expect((await editorText(page)).match(/return/g)).toHaveLength(2);

    // The cursor after `(n: int = 1)`'s closing bracket highlights the pair.
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('.cm-matchingBracket').count()).toBe(2);
  });

  it("completes the fused API and the file's own names", async () => {
    await focusEditorEnd(page);
    await page.keyboard.press('Enter');
    await page.keyboard.type('x = fused.lo');
    const popup = page.locator('.cm-tooltip-autocomplete');
    // The popup follows the typing; Enter takes the selected option.
    await expect.poll(() => popup.locator('li[aria-selected] .cm-completionLabel').innerText().catch(() => '')).toBe('load');
    await screenshot(page, 'editor-completion');
    await page.keyboard.press('Enter');
    expect(await editorText(page)).toContain('x = fused.load');
    await page.keyboard.type('\nfused.types.Bou');
    await expect.poll(() => popup.innerText().catch(() => '')).toContain('Bounds');
    await page.keyboard.press('Escape');
    await page.keyboard.type('\nhel');
    await expect.poll(() => popup.innerText().catch(() => '')).toContain('helper');
    await page.keyboard.press('Escape');
  });

  it('keeps each file its own undo history, also after leaving the UDF and coming back', async () => {
    await replaceEditorText(page, SCRATCH);
    await page.keyboard.press('Control+s');
    await expect.poll(() => page.getByTestId('save').innerText()).toBe('Saved');

    await openFromLibrary('With_Utils');
    const main = page.getByTestId('file-tab').first();
    const utils = page.getByTestId('file-tab').filter({ hasText: /^utils\.py/ });
    const original = readFileSync(udfFile('With_Utils'), 'utf8');
    await focusEditorEnd(page);
    await page.keyboard.type('# marker');
    await page.keyboard.press('Control+s');
    await expect.poll(() => readFileSync(udfFile('With_Utils'), 'utf8')).toBe(`${original}# marker`);

    await utils.click();
    await focusEditorEnd(page);
    await page.keyboard.type('# in utils');
    await main.click();
    expect(await editorText(page)).toContain('# marker');
    await utils.click();
    await focusEditorEnd(page);
    await page.keyboard.press('Control+z');
    expect(await editorText(page)).not.toContain('# in utils');

    // Away and back: the main file's history still holds the typing before the save.
    await openFromLibrary('Scratch');
    await openFromLibrary('With_Utils');
    expect(await editorText(page)).toBe(`${original}# marker`);
    await focusEditorEnd(page);
    await page.keyboard.press('Control+z');
    expect(await editorText(page)).toBe(original);
    expect(await page.getByTestId('save').innerText()).toBe('Save');
  });

  it('asks before leaving a UDF with unsaved edits: cancel stays, discard leaves, save writes', async () => {
    await page.locator('[data-testid="library-item"][data-name="Hello_World"]').first().click();
    await page.getByTestId('unsaved-dialog').waitFor();
    expect(await page.getByTestId('unsaved-dialog').innerText()).toContain('With_Utils.py');
    await screenshot(page, 'editor-unsaved-dialog');
    await page.getByTestId('unsaved-cancel').click();
    expect(await page.locator('.udf-header h1').innerText()).toContain('With_Utils');
    expect(page.url()).toContain('#/udf/With_Utils');
    expect(await editorText(page)).not.toContain('# marker');

    await page.locator('[data-testid="library-item"][data-name="Hello_World"]').first().click();
    await page.getByTestId('unsaved-discard').click();
    await expect.poll(() => page.locator('.udf-header h1').innerText().catch(() => '')).toContain('Hello_World');
    expect(readFileSync(udfFile('With_Utils'), 'utf8')).toContain('# marker');

    await openFromLibrary('Scratch');
    await focusEditorEnd(page);
    await page.keyboard.type('# saved on the way out\n');
    await page.getByTestId('nav-cache').click();
    await page.getByTestId('unsaved-save').click();
    await expect.poll(() => page.url()).toContain('#/cache');
    expect(readFileSync(udfFile('Scratch'), 'utf8')).toBe(`${SCRATCH}# saved on the way out\n`);
  });

  it('shows a change on disk to a file with edits as a conflict: compare, keep mine, or reload', async () => {
    await openFromLibrary('Scratch');
    await focusEditorEnd(page);
    await page.keyboard.type('\n# mine');
    const disk = `${readFileSync(udfFile('Scratch'), 'utf8')}# theirs\n`;
    writeFileSync(udfFile('Scratch'), disk);
    const bar = page.getByTestId('disk-conflict');
    await bar.waitFor({ timeout: 15_000 });
    expect(await bar.innerText()).toContain('Scratch.py changed on disk');
    // Neither side was overwritten.
    expect(await editorText(page)).toContain('# mine');
    expect(await editorText(page)).not.toContain('# theirs');
    expect(readFileSync(udfFile('Scratch'), 'utf8')).toBe(disk);

    await page.getByTestId('conflict-compare').click();
    const compare = page.getByTestId('compare-view');
    await compare.waitFor();
    expect(await compare.innerText()).toContain('# theirs');
    expect(await compare.innerText()).toContain('# mine');
    await screenshot(page, 'editor-compare');
    await page.getByRole('button', { name: 'Keep mine' }).last().click();
    await expect.poll(() => bar.count()).toBe(0);
    await page.getByTestId('save').click();
    await expect.poll(() => readFileSync(udfFile('Scratch'), 'utf8')).toContain('# mine');
    expect(readFileSync(udfFile('Scratch'), 'utf8')).not.toContain('# theirs');

    await focusEditorEnd(page);
    await page.keyboard.type('\n# mine again');
    writeFileSync(udfFile('Scratch'), SCRATCH);
    await bar.waitFor({ timeout: 15_000 });
    await screenshot(page, 'editor-conflict-bar');
    await page.getByTestId('conflict-reload').click();
    await expect.poll(() => editorText(page)).toBe(SCRATCH);
    expect(await page.getByTestId('save').innerText()).toBe('Saved');
  });

  it("marks a run's error line with a diagnostic", async () => {
    await openFromLibrary('Hello_World');
    await page.locator('[data-param="n"]').fill('-1');
    const code = await editorText(page);
    // Ctrl+Enter in the editor runs the UDF and leaves the text alone.
    await page.locator('[data-testid="code-editor"] .cm-content').click();
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('run-error').waitFor({ timeout: 20_000 });
    expect(await editorText(page)).toBe(code);
    expect(await errorLineText()).toContain('raise ValueError');
    expect(await page.locator('.cm-lint-marker-error').count()).toBe(1);
    // The error panel's line link puts the cursor on the line.
    await page.getByTestId('error-line-link').click();
    await expect.poll(() => page.locator('.cm-activeLine').innerText().catch(() => '')).toContain('raise ValueError');
    await page.setViewportSize({ width: 1440, height: 900 });
    // The gutter's marker shows the message too (hovering the text could scroll it sideways).
    await page.locator('.cm-lint-marker-error').hover();
    const tooltip = page.locator('.cm-tooltip-lint');
    await tooltip.waitFor();
    expect(await tooltip.innerText()).toContain('ValueError: n must be zero or more');
    await screenshot(page, 'editor-diagnostic-1440x900');
    await page.setViewportSize({ width: 1280, height: 800 });
    // A run that succeeds takes the mark away.
    await page.locator('[data-param="n"]').fill('1');
    await page.locator('[data-testid="code-editor"] .cm-content').click();
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.cm-lint-marker-error').count(), { timeout: 20_000 }).toBe(0);
  });

  it("marks a tile UDF's runtime error on its line", async () => {
    await openFromLibrary('Tile_Raise');
    expect(await errorLineText()).toContain('raise RuntimeError("no tiles today")');
    await page.locator('.cm-lintRange-error').first().hover();
    await expect.poll(() => page.locator('.cm-tooltip-lint').innerText().catch(() => '')).toContain('from a map tile');
    // The map's status line opens the tiles' error with its traceback.
    await page.getByTestId('tile-error-toggle').click();
    const panel = page.getByTestId('tile-error');
    expect(await panel.locator('strong').innerText()).toBe('RuntimeError');
    expect(await panel.locator('p').innerText()).toContain('no tiles today');
    expect(await panel.locator('pre').innerText()).toMatch(/Traceback[\s\S]*Tile_Raise\.py", line \d+[\s\S]*raise RuntimeError/);
    await screenshot(page, 'editor-tile-error-traceback');
  });

  it('renders the README with Markdown and strips scripts, handlers and javascript: links', async () => {
    await openFromLibrary('Scratch');
    await page.locator('.tabs .tab').filter({ hasText: 'README' }).click();
    const article = page.locator('article.markdown');
    await article.locator('h1').waitFor();
    expect(await article.locator('strong').innerText()).toBe('bold');
    expect(await article.locator('table td').count()).toBe(2);
    // Python code blocks are coloured by the editor's parser; their text stays text.
    expect(await article.locator('pre code .tok-keyword').first().innerText()).toBe('def');
    expect(await article.locator('pre code').innerText()).toContain('<script>window.pwned = 4</script>');
    expect(await article.locator('script').count()).toBe(0);
    expect(await article.locator('[onerror]').count()).toBe(0);
    expect(await article.locator('a[href^="javascript"]').count()).toBe(0);
    expect(await article.locator('a[href="https://example.org/"]').getAttribute('rel')).toBe('noopener noreferrer');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('shows the editor in the dark theme too, at 1440x900', async () => {
    const { context, page: dark } = await openWindow(opened.browser, opened.served, { width: 1440, height: 900 });
    await dark.emulateMedia({ colorScheme: 'dark' });
    await dark.goto(`${opened.served.url}/#/udf/Hello_World`);
    await dark.locator('[data-testid="code-editor"] .cm-content').waitFor();
    // The search panel and a completion popup are themed as well.
    await dark.locator('[data-testid="code-editor"] .cm-content').click();
    await dark.keyboard.press('Control+f');
    await dark.locator('.cm-search input[name="search"]').fill('name');
    await dark.locator('[data-testid="code-editor"] .cm-content').click();
    await dark.keyboard.press('Control+End');
    await dark.keyboard.type('fused.');
    await dark.locator('.cm-tooltip-autocomplete').waitFor();
    await screenshot(dark, 'editor-dark-1440x900');
    // The editor's colours are the theme's variables, whatever the theme makes of them.
    const colours = await dark.locator('.cm-editor').evaluate((editor) => {
      const probe = document.createElement('div');
      probe.style.background = 'var(--code-bg)';
      probe.style.color = 'var(--code-fg)';
      document.body.appendChild(probe);
      const expected = getComputedStyle(probe);
      const result = { editor: [getComputedStyle(editor).backgroundColor, getComputedStyle(editor).color], theme: [expected.backgroundColor, expected.color] };
      probe.remove();
      return result;
    });
    expect(colours.editor).toEqual(colours.theme);
    await context.close();
  });

  it("completes the names a header module defines, after its import name", async () => {
    await openFromLibrary('With_Utils');
    await focusEditorEnd(page);
    await page.keyboard.type('\nutils.near');
    const popup = page.locator('.cm-tooltip-autocomplete');
    await expect.poll(() => popup.innerText().catch(() => '')).toContain('nearest_cities');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="library-item"][data-name="Hello_World"]').first().click();
    await page.getByTestId('unsaved-discard').click();
    await expect.poll(() => page.locator('.udf-header h1').innerText().catch(() => '')).toContain('Hello_World');
  });

  it('asks before the window reloads over unsaved edits', async () => {
    await openFromLibrary('Hello_World');
    await focusEditorEnd(page);
    await page.keyboard.type('# not saved');
    const asked = page.waitForEvent('dialog');
    void page.evaluate(() => location.reload()).catch(() => undefined);
    const dialog = await asked;
    expect(dialog.type()).toBe('beforeunload');
    await dialog.dismiss();
    expect(await editorText(page)).toContain('# not saved');
  });

  it('checks the disk before saving: a change whose event has not arrived is a conflict, not an overwrite', async () => {
    // A window that never hears the event stream: only the check at save time can see the change.
    const { context, page: unaware } = await openWindow(opened.browser, opened.served);
    await context.route(/\/api\/events/, (route) => route.abort());
    // A full load (not a hash change), so that the page's event stream starts again and is cut.
    await unaware.goto(`${opened.served.url}/?unaware#/udf/Scratch`);
    await focusEditorEnd(unaware);
    await unaware.keyboard.type('# mine, typed blind');
    const theirs = `${SCRATCH}# theirs, unannounced\n`;
    writeFileSync(udfFile('Scratch'), theirs);
    await unaware.getByTestId('save').click();
    await unaware.getByTestId('disk-conflict').waitFor();
    expect(readFileSync(udfFile('Scratch'), 'utf8')).toBe(theirs);
    expect(await editorText(unaware)).toContain('# mine, typed blind');
    // Keeping mine writes over the disk's version on the next save.
    await unaware.getByTestId('conflict-keep').click();
    await unaware.getByTestId('save').click();
    await expect.poll(() => readFileSync(udfFile('Scratch'), 'utf8')).toContain('# mine, typed blind');
    expect(readFileSync(udfFile('Scratch'), 'utf8')).not.toContain('# theirs, unannounced');
    await context.close();
  });
});
