/**
 * The window's session key (SESSION_KEY in app-api.ts): the one-time link lands on `/#session-key=KEY`;
 * this module moves the key out of the address bar into this origin's localStorage (pages on other
 * ports of 127.0.0.1 cannot read it, unlike the cookie they are sent) before the hash router reads
 * the hash. Every call to the engine sends it.
 */

import { SESSION_KEY } from '../../../src-shared/app-api.js';

const FRAGMENT_PREFIX = `#${SESSION_KEY.fragment}=`;

function adoptKeyFromAddress(): void {
  if (!location.hash.startsWith(FRAGMENT_PREFIX)) return;
  localStorage.setItem(SESSION_KEY.storage, decodeURIComponent(location.hash.slice(FRAGMENT_PREFIX.length)));
  history.replaceState(null, '', location.pathname + location.search);
}

// At import: main.ts imports this module before the app (and its hash router).
adoptKeyFromAddress();

/** The header that proves a call comes from the window; empty without a session. */
export function sessionHeaders(): Record<string, string> {
  const key = localStorage.getItem(SESSION_KEY.storage);
  return key ? { [SESSION_KEY.header]: key } : {};
}

/** The event stream's URL: EventSource cannot send headers, so the key goes in the query. */
export function eventStreamUrl(path: string): string {
  const key = localStorage.getItem(SESSION_KEY.storage);
  return key ? `${path}?${SESSION_KEY.query}=${encodeURIComponent(key)}` : path;
}
