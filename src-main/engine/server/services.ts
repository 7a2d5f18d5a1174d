/**
 * What the server's routes share: the engine, the token store, the private token, the event bus and
 * the runtime's state.
 *
 * While the runtime is being set up there is no engine yet: `engine`, `watcher`, `tokens`, `remotes`
 * and `pendingRuns` then throw UDF_ERR_RUNTIME_NOT_READY (a 503), so every route that needs them says so by itself.
 */

import type { InstallResult } from '../runtime/package-install.js';
import { udfError } from '../../../src-shared/errors.js';
import type { RuntimeReportBody } from '../../../src-shared/runtime.js';
import type { LocalAccount } from '../account.js';
import type { Engine } from '../engine.js';
import type { EngineEvents } from '../events/engine-events.js';
import type { ResourcePaths } from '../resources.js';
import type { RemoteEngines } from '../remote/remote-engines.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { isPrivateToken } from '../tokens/private-token.js';
import type { TokenStore } from '../tokens/token-store.js';
import type { WorkspaceWatcher } from '../workspace/workspace-watcher.js';
import type { IncomingMessage } from 'node:http';
import type { AppServices } from './app-services.js';
import type { PendingRuns } from './pending-runs.js';
import { isSameOriginRequest, type SessionStore } from './session.js';

export type { InstallResult };

export interface ServerServices {
  readonly engine: Engine;
  readonly watcher: WorkspaceWatcher;
  readonly tokens: TokenStore;
  /** The bus outlives engine restarts (a runtime reset), so the window's event stream subscribes here. */
  events: EngineEvents;
  runtime: RuntimeControl;
  /** The app's bundled files (the runtime page; later the window's). */
  resources: ResourcePaths;
  privateToken: string;
  /** The local account (settings' email and handle, else the system user), read afresh each call. */
  account(): LocalAccount;
  /** Remote engines: their settings, the UDFs sent to them, proxied runs. */
  readonly remotes: RemoteEngines;
  /** Code runs the official client polls for, by its run id. */
  readonly pendingRuns: PendingRuns;
  /** The home's secrets (a file, so they need no engine: they can be set while the runtime is set up). */
  readonly secrets: SecretStore;
  /** Accept any Host header (a team server bound beyond loopback, asked for explicitly). */
  allowAnyHost: boolean;
  /** A team server (`serve --host 0.0.0.0`): every route needs a token, `/healthz` too. */
  teamMode: boolean;
  log: (line: string) => void;
  /** Window sessions (the cookie a one-time link sets); absent in servers without a window. */
  sessions?: SessionStore;
  /** What the app API needs besides the above (library index, settings); absent without a window. */
  app?: AppServices;
}

/**
 * Throws UDF_ERR_AUTH_REQUIRED unless the request carries the private token as a Bearer token, or
 * comes from the window: a session cookie with that session's key (see session.ts), on a request
 * from this server's own origin. `sessionKeyFromQuery` is for the one route a browser cannot send
 * headers to (the event stream).
 */
export function requirePrivateToken(services: ServerServices, req: IncomingMessage, sessionKeyFromQuery: string | null = null): void {
  const sessions = services.sessions;
  if (!req.headers.authorization && sessions?.hasSession(req)) {
    if (!isSameOriginRequest(req)) {
      throw udfError('UDF_ERR_AUTH_REQUIRED', 'the window session is valid only on requests from the window itself (this request came from another origin)');
    }
    if (sessions.hasWindowSession(req, sessionKeyFromQuery)) return;
    throw udfError('UDF_ERR_AUTH_REQUIRED', 'the window session cookie is valid only with its session key, which only the window holds; open the window through a new link');
  }
  requireBearer(services, req);
}

/** The app's services; a clear error on a server started without a window. */
export function appOf(services: ServerServices): AppServices {
  if (!services.app) throw udfError('UDF_ERR_USAGE', 'this server has no window API');
  return services.app;
}

/**
 * For the window's own pages and their static files on a team server: the private token, or the
 * session cookie on a request from this origin. These hold no secret, and a navigation cannot send
 * the session key; everything they then ask of the API needs it.
 */
export function requireWindowPage(services: ServerServices, req: IncomingMessage): void {
  if (!req.headers.authorization && services.sessions?.hasSession(req) && isSameOriginRequest(req)) return;
  requireBearer(services, req);
}

/** The runtime's state, and the reset a user can ask for. */
export interface RuntimeControl {
  readonly ready: boolean;
  report(): RuntimeReportBody;
  /** Starts rebuilding the runtime from scratch; throws UDF_ERR_RUNTIME_BUSY while setup already runs. */
  reset(): void;
  /**
   * Adds packages (and extras) to the runtime, as `udf-studio install` does; pip's lines go out as
   * `runtime` events. Throws UDF_ERR_RUNTIME_BUSY while setup runs, UDF_ERR_BAD_PACKAGE,
   * UDF_ERR_INSTALL_FAILED.
   */
  install(packages: string[], extras: string[]): Promise<InstallResult>;
}

/**
 * The schemes the official client puts before a token: `Bearer` (runs), the scheme of
 * `FUSED_AUTH_TOKEN_TYPE` (`Fused-Env-Bearer`, `Fused-Rtenv-Bearer`, `Fused-Service-Token`; FusedAPI
 * calls) and `fused-service-token` (cache invalidation). Each carries the private token here.
 */
const AUTH_SCHEME = /^(?:Bearer|Fused-Env-Bearer|Fused-Rtenv-Bearer|Fused-Service-Token)\s+(\S+)$/i;

/** Throws UDF_ERR_AUTH_REQUIRED unless the request carries the private token as a Bearer token. */
export function requireBearer(services: ServerServices, req: IncomingMessage): void {
  const header = req.headers.authorization ?? '';
  const match = AUTH_SCHEME.exec(header);
  if (!match?.[1] || !isPrivateToken(match[1], services.privateToken)) {
    throw udfError('UDF_ERR_AUTH_REQUIRED', header ? 'the Authorization header does not carry a valid private token' : 'this route needs "Authorization: Bearer <private token>" (the token is in the home folder\'s credentials file)');
  }
}
