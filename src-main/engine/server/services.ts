/**
 * What the server's routes share: the engine, the token store and the private token.
 */

import { udfError } from '../../../src-shared/errors.js';
import type { Engine } from '../engine.js';
import type { RemoteEngines } from '../remote/remote-engines.js';
import { isPrivateToken } from '../tokens/private-token.js';
import type { TokenStore } from '../tokens/token-store.js';
import type { WorkspaceWatcher } from '../workspace/workspace-watcher.js';
import type { IncomingMessage } from 'node:http';

export interface ServerServices {
  engine: Engine;
  watcher: WorkspaceWatcher;
  tokens: TokenStore;
  privateToken: string;
  /** Remote engines: their settings, the UDFs sent to them, proxied runs. */
  remotes: RemoteEngines;
  /** Accept any Host header (a team server bound beyond loopback, asked for explicitly). */
  allowAnyHost: boolean;
  /** A team server (`serve --host 0.0.0.0`): every route needs a token, `/healthz` too. */
  teamMode: boolean;
  log: (line: string) => void;
}

/** Throws UDF_ERR_AUTH_REQUIRED unless the request carries the private token as a Bearer token. */
export function requirePrivateToken(services: ServerServices, req: IncomingMessage): void {
  const header = req.headers.authorization ?? '';
  const match = /^(?:Bearer|fused-service-token)\s+(\S+)$/i.exec(header);
  if (!match?.[1] || !isPrivateToken(match[1], services.privateToken)) {
    throw udfError('UDF_ERR_AUTH_REQUIRED', header ? 'the Authorization header does not carry a valid private token' : 'this route needs "Authorization: Bearer <private token>" (the token is in the home folder\'s credentials file)');
  }
}
