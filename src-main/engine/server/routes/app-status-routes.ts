/**
 * The window's settings and status:
 *
 * - `GET /api/settings`, `POST /api/settings`: workspace folders and port (as the engine runs) and
 *   the editor command (changeable).
 * - `GET /api/runtime/health`: what `udf-studio doctor` reports about the Python runtime.
 * - `POST /api/session/link`: a new one-time window link; the private token only (Bearer), never
 *   the window's own cookie, so only whoever holds the token can let a browser in.
 */

import type { AppSettings } from '../../../../src-shared/app-api.js';
import { udfError } from '../../../../src-shared/errors.js';
import type { AppServices } from '../app-services.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requireBearer, requirePrivateToken, type ServerServices } from '../services.js';
import { SESSION_PATH } from '../session.js';

export function registerAppStatusRoutes(router: Router, services: ServerServices): void {
  router.add('GET', '/api/settings', (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, settingsOf(services, ctx));
  });

  router.add('POST', '/api/settings', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    appOf(services).settings.update(await readJsonBody(ctx.req));
    sendJson(ctx.res, 200, settingsOf(services, ctx));
  });

  router.add('GET', '/api/runtime/health', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, await appOf(services).runtimeHealth());
  });

  router.add('POST', '/api/session/link', (ctx) => {
    requireBearer(services, ctx.req);
    const sessions = services.sessions;
    if (!sessions) throw udfError('UDF_ERR_USAGE', 'this server has no window');
    sendJson(ctx.res, 201, { url: `http://${ctx.req.headers.host ?? ctx.url.host}${SESSION_PATH}/${sessions.issueTicket()}` });
  });
}

/** The app's services; a clear error on a server started without a window. */
export function appOf(services: ServerServices): AppServices {
  if (!services.app) throw udfError('UDF_ERR_USAGE', 'this server has no window API');
  return services.app;
}

function settingsOf(services: ServerServices, ctx: RouteContext): AppSettings {
  const host = ctx.req.headers.host ?? ctx.url.host;
  const port = Number(/:(\d+)$/.exec(host)?.[1] ?? 80);
  return {
    workspaces: [...services.engine.workspace.folders],
    port,
    url: `http://${host}`,
    editorCommand: appOf(services).settings.read().editorCommand,
  };
}
