/** Driving the CodeMirror editor of the UDF page from a test: its text, focus and the keyboard. */

import type { Page } from 'playwright-core';

const CONTENT = '[data-testid="code-editor"] .cm-content';

/**
 * The editor's whole text. CodeMirror renders only the lines in view, so the DOM cannot say; this
 * reads the view's document the way `EditorView.findFromDOM` finds the view (the page has no
 * module to import it from). CodeMirror is pinned, and a change of this detail fails loudly here.
 */
export async function editorText(page: Page): Promise<string> {
  return page.locator(CONTENT).evaluate((content) => {
    const view = (content as unknown as { cmTile?: { root?: { view?: { state: { doc: { toString(): string } } } } } }).cmTile?.root?.view;
    if (!view) throw new Error('no CodeMirror view on .cm-content: has CodeMirror changed how it finds its view from the DOM?');
    return view.state.doc.toString();
  });
}

/** Focuses the editor with the cursor at the end of its text. */
export async function focusEditorEnd(page: Page): Promise<void> {
  await page.locator(CONTENT).click();
  await page.keyboard.press('Control+End');
}

/** Replaces the editor's whole text, as a user selecting all and typing would (one undo step). */
export async function replaceEditorText(page: Page, text: string): Promise<void> {
  await page.locator(CONTENT).click();
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText(text);
}
