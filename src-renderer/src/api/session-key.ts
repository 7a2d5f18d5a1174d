/**
 * The window's session key (SESSION_KEY in app-api.ts): the one-time link lands on `/#session-key=KEY`;
 * this module takes the key out of the address bar before the hash router reads the hash, and keeps
 * it in this origin's localStorage (pages on other ports of 127.0.0.1 cannot read it, unlike the
 * cookie they are sent). Every call to the engine sends it.
 *
 * Any site can send the browser to `/#session-key=...` with a made-up key, so a key from the address
 * replaces the stored one only once the engine says it belongs to this browser's session.
 */

import { SESSION_KEY } from '../../../src-shared/app-api.js';

const FRAGMENT_PREFIX = `#${SESSION_KEY.fragment}=`;
/** Keys are base64url (session.ts); anything else in the address is not one. */
const KEY_SHAPE = /^[A-Za-z0-9_-]{20,200}$/;

function keyFromAddress(): string | null {
  if (!location.hash.startsWith(FRAGMENT_PREFIX)) return null;
  const key = location.hash.slice(FRAGMENT_PREFIX.length);
  history.replaceState(null, '', location.pathname + location.search);
  return KEY_SHAPE.test(key) ? key : null;
}

// At import: main.ts imports this module before the app (and its hash router).
const offered = keyFromAddress();

/** Keeps the key the address offered if the engine confirms it; call before the app starts. */
export async function adoptOfferedKey(): Promise<void> {
  if (offered === null) return;
  try {
    const response = await fetch('/api/session', { credentials: 'same-origin', headers: { [SESSION_KEY.header]: offered } });
    if (response.ok) localStorage.setItem(SESSION_KEY.storage, offered);
  } catch {
    // The engine is not answering: the app says so itself; the stored key stays.
  }
}

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
