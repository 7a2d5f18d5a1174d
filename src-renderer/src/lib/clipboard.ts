/** Copies text for the user, saying so (or saying how to copy by hand when the browser refuses). */

import { notify } from '../state/app.svelte.js';

export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    notify(`${what} copied`);
  } catch {
    notify('The browser refused the clipboard; select the text and copy it.', true);
  }
}
