/**
 * The session's rules: every permission request (camera, location, notifications, ...) is denied,
 * and pages from the engine carry the app's Content-Security-Policy even if a response lacks it.
 * A response's own policies stay beside it: browsers enforce every policy a response has, so they can
 * only narrow the app's (a UDF result's sandbox must survive), never widen it.
 */

import type { Session } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../src-shared/content-security-policy.js';
import { isAppUrl } from './navigation-guard.js';

export function secureSession(session: Session, appOrigin: () => string | null): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppUrl(details.url, appOrigin())) {
      callback({});
      return;
    }
    const headers: Record<string, string[]> = {};
    const own: string[] = [];
    for (const [name, values] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() === 'content-security-policy') own.push(...values.filter((value) => value !== CONTENT_SECURITY_POLICY));
      else headers[name] = values;
    }
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [...own, CONTENT_SECURITY_POLICY] } });
  });
}
