/**
 * Which URL the window opens on a running engine server: the app shell and `serve --open` both ask
 * here.
 */

import type { EngineServer } from './engine-server.js';

/**
 * A fresh one-time session link: opening it gives that browser (or the app's window) a session and
 * lands on the window, which leads to `/runtime` until the runtime is ready.
 */
export function windowUrl(server: Pick<EngineServer, 'sessionLink'>): string {
  return server.sessionLink();
}
