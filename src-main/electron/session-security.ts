/**
 * The session's rules: every permission request (camera, location, notifications, ...) is denied,
 * and pages from the engine carry the app's Content-Security-Policy even if a response lacks it.
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
    const headers = Object.fromEntries(Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'));
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}
