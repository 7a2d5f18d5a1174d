/**
 * Keeps every web page of the app on the engine's own origin: navigation elsewhere is stopped, and
 * http(s) links open in the system browser instead; new windows are never created; webviews never attach.
 */

import type { Shell, WebContents } from 'electron';

/** Whether `url` is on the app's origin (the engine's http://127.0.0.1:PORT). */
export function isAppUrl(url: string, appOrigin: string | null): boolean {
  if (appOrigin === null) return false;
  try {
    return new URL(url).origin === appOrigin;
  } catch {
    return false;
  }
}

/** Whether `url` may be handed to the system browser: http and https only (never file:, javascript:, custom schemes). */
export function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Applies the rules to one WebContents (every one the app creates passes through here). */
export function guardWebContents(contents: WebContents, appOrigin: () => string | null, shell: Pick<Shell, 'openExternal'>): void {
  const openOutside = (url: string): void => {
    if (isExternalWebUrl(url)) void shell.openExternal(url);
  };
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, appOrigin())) return;
    event.preventDefault();
    openOutside(url);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (!isAppUrl(url, appOrigin())) openOutside(url);
    return { action: 'deny' };
  });
}
