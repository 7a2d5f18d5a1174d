/**
 * The app's API for remote engines, for the window's settings, engine switch and sync view; all
 * with the private token. Tokens of remotes go in (`POST /api/remotes`) and never come out.
 */

import type { RemotesListing, SyncListing } from '../../../../src-shared/app-api.js';
import { udfError } from '../../../../src-shared/errors.js';
import { RemoteClient } from '../../remote/remote-client.js';
import { UdfSync } from '../../remote/udf-sync.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

export function registerRemoteRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };
  const store = () => services.remotes.store;
  const sync = () => new UdfSync(services.engine.db, services.engine.udfIds, services.engine.workspace, services.engine.workspace.folders[0] as string);
  const client = (name: string | null) => new RemoteClient(store().get(name));

  router.add('GET', '/api/remotes', authorised((ctx) => sendJson(ctx.res, 200, { remotes: store().summaries(), engines: services.remotes.bindings() } satisfies RemotesListing)));

  router.add('POST', '/api/remotes', authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req, { sensitive: true });
    const { name, url, token } = body;
    if (typeof name !== 'string' || typeof url !== 'string' || typeof token !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "name", "url" and "token" strings');
    const added = store().add(name, url, token);
    services.events.emit({ type: 'remote', udf: null, change: 'added', remote: added.name });
    sendJson(ctx.res, 201, { name: added.name, url: added.url });
  }));

  router.add('DELETE', '/api/remotes/:remote', authorised((ctx) => {
    const name = ctx.params.remote as string;
    const switched = services.remotes.bindings().filter((binding) => binding.remote === name);
    store().remove(name);
    services.remotes.forget(name);
    for (const binding of switched) services.events.emit({ type: 'remote', udf: binding.name, change: 'engine', remote: null });
    services.events.emit({ type: 'remote', udf: null, change: 'removed', remote: name });
    sendJson(ctx.res, 200, { name, removed: true });
  }));

  router.add('GET', '/api/remotes/:remote/sync', authorised(async (ctx) => {
    const remote = client(ctx.params.remote as string);
    const udfs = await sync().status(remote);
    // Asked once, the remote's changes are followed from then on (when it has an event stream).
    sendJson(ctx.res, 200, { remote: remote.name, live: services.remotes.watch.follow(remote.name), udfs } satisfies SyncListing);
  }));

  router.add('POST', '/api/udfs/:name/push', authorised(async (ctx) => {
    const remote = client(ctx.query.get('remote'));
    const result = await sync().push(remote, ctx.params.name as string, { force: ctx.query.get('force') === 'true' });
    if (result.action !== 'unchanged') services.engine.events.emit({ type: 'remote', udf: result.name, change: 'pushed', remote: remote.name });
    sendJson(ctx.res, 200, result);
  }));

  router.add('POST', '/api/udfs/:name/pull', authorised(async (ctx) => {
    const remote = client(ctx.query.get('remote'));
    const result = await sync().pull(remote, ctx.params.name as string, { force: ctx.query.get('force') === 'true' });
    if (result.action !== 'unchanged') services.engine.events.emit({ type: 'remote', udf: result.name, change: 'pulled', remote: remote.name });
    sendJson(ctx.res, 200, result);
  }));

  router.add('GET', '/api/udfs/:name/engine', authorised((ctx) => {
    const name = ctx.params.name as string;
    sendJson(ctx.res, 200, { name, remote: services.remotes.boundRemote(name) });
  }));

  router.add('POST', '/api/udfs/:name/engine', authorised(async (ctx) => {
    const name = ctx.params.name as string;
    const body = await readJsonBody(ctx.req);
    if (!('remote' in body) || (body.remote !== null && typeof body.remote !== 'string')) throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "remote": a remote\'s name, or null for the local engine');
    services.remotes.bind(name, body.remote);
    services.engine.events.emit({ type: 'remote', udf: name, change: 'engine', remote: services.remotes.boundRemote(name) });
    sendJson(ctx.res, 200, { name, remote: services.remotes.boundRemote(name) });
  }));
}
