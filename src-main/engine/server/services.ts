/**
 * What the server's routes share: the engine, the token store and the private token.
 */

import { udfError } from '../../../src-shared/errors.js';
import type { Engine } from '../engine.js';
import { isPrivateToken } from '../tokens/private-token.js';
import type { TokenStore } from '../tokens/token-store.js';
import type { WorkspaceWatcher } from '../workspace/workspace-watcher.js';
import type { IncomingMessage } from 'node:http';
import type { AppServices } from './app-services.js';
import { isSameOriginRequest, type SessionStore } from './session.js';

export interface ServerServices {
  engine: Engine;
  watcher: WorkspaceWatcher;
  tokens: TokenStore;
  privateToken: string;
  /** Accept any Host header (a team server bound beyond loopback, asked for explicitly). */
  allowAnyHost: boolean;
  log: (line: string) => void;
  /** Window sessions (the cookie a one-time link sets); absent in servers without a window. */
  sessions?: SessionStore;
  /** What the app API needs besides the above (library index, settings); absent without a window. */
  app?: AppServices;
}

/**
 * Throws UDF_ERR_AUTH_REQUIRED unless the request carries the private token as a Bearer token, or
 * comes from the window: a session cookie on a request from this server's own origin.
 */
export function requirePrivateToken(services: ServerServices, req: IncomingMessage): void {
  if (!req.headers.authorization && services.sessions?.hasSession(req)) {
    if (isSameOriginRequest(req)) return;
    throw udfError('UDF_ERR_AUTH_REQUIRED', 'the window session is valid only on requests from the window itself (this request came from another origin)');
  }
  requireBearer(services, req);
}

/** Throws UDF_ERR_AUTH_REQUIRED unless the request carries the private token as a Bearer token. */
export function requireBearer(services: ServerServices, req: IncomingMessage): void {
  const header = req.headers.authorization ?? '';
  const match = /^(?:Bearer|fused-service-token)\s+(\S+)$/i.exec(header);
  if (!match?.[1] || !isPrivateToken(match[1], services.privateToken)) {
    throw udfError('UDF_ERR_AUTH_REQUIRED', header ? 'the Authorization header does not carry a valid private token' : 'this route needs "Authorization: Bearer <private token>" (the token is in the home folder\'s credentials file)');
  }
}
