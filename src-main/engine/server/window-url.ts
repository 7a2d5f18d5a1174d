/**
 * Which URL the window opens on a running engine server: the app shell and `serve --open` both ask
 * here, so switching to the window's one-time session link is a change in this one place.
 */

import type { EngineServer } from './engine-server.js';

/** The engine's root: the window's page once it exists; until the runtime is ready it leads to `/runtime`. */
export function windowUrl(server: Pick<EngineServer, 'url'>): string {
  return `${server.url}/`;
}
