/**
 * The window's settings and status:
 *
 * - `GET /api/settings`, `POST /api/settings`: the workspace folders (a change applies at once),
 *   the port (applies at the next start), the editor command and the local account's email and
 *   handle, kept in the home's settings.json; with the lines that point the official client here.
 * - `GET /api/runtime/health`: what `udf-studio doctor` reports about the Python runtime.
 * - `POST /api/session/link`: a new one-time window link; the private token only (Bearer), never
 *   the window's own cookie, so only whoever holds the token can let a browser in.
 */

import type { AppSettings } from '../../../../src-shared/app-api.js';
import { udfError } from '../../../../src-shared/errors.js';
import { fusedClientSetup } from '../../../../src-shared/fused-client-setup.js';
import { localAccount } from '../../account.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { appOf, requireBearer, requirePrivateToken, type ServerServices } from '../services.js';
import { seedWorkspace } from '../../workspace/workspace.js';
import { DEFAULT_PORT } from '../default-address.js';
import { SESSION_PATH } from '../session.js';

export function registerAppStatusRoutes(router: Router, services: ServerServices): void {
  router.add('GET', '/api/settings', (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, settingsOf(services, ctx));
  });

  router.add('POST', '/api/settings', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const app = appOf(services);
    const changes = await readJsonBody(ctx.req);
    // Folders apply to the running engine: without one (runtime being set up) this throws and nothing is written.
    const engine = 'workspaces' in changes ? services.engine : null;
    const saved = app.settings.update(changes);
    if (engine) {
      // Back to the default: the home's udfs/, seeded with the examples if it was never made.
      if (!saved.workspaces) seedWorkspace(engine.paths.udfs, engine.resources.exampleUdfs);
      await app.startup.setWorkspaces(saved.workspaces ?? [engine.paths.udfs]);
    }
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

function settingsOf(services: ServerServices, ctx: RouteContext): AppSettings {
  const host = ctx.req.headers.host ?? ctx.url.host;
  const port = Number(/:(\d+)$/.exec(host)?.[1] ?? 80);
  const app = appOf(services);
  const stored = app.settings.read();
  const account = localAccount(stored);
  return {
    workspaces: [...services.engine.workspace.folders],
    port,
    url: `http://${host}`,
    editorCommand: stored.editorCommand,
    nextPort: stored.port ?? DEFAULT_PORT,
    overridden: app.startup.overridden,
    settingsFile: app.settings.path,
    account: { email: account.email, handle: account.handle },
    accountSet: { email: stored.email !== null, handle: stored.handle !== null },
    // The window never holds the private token: the lines read it from the credentials file.
    fusedClientSetup: fusedClientSetup(`http://${host}`, { credentialsFile: services.engine.paths.credentials }),
    autoInstallPackages: stored.autoInstallPackages === true,
    githubClones: stored.githubClones ?? {},
  };
}
