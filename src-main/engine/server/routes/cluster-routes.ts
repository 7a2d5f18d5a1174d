/**
 * The app's API for Dask clusters, for the window's settings; all with the private token.
 * `GET /api/clusters` lists them, `POST /api/clusters` adds one, `DELETE /api/clusters/{name}`
 * forgets one (its bridge, if any, stops with the engine).
 */

import { udfError } from '../../../../src-shared/errors.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

export function registerClusterRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };
  // Looked up per request: while the runtime is being set up there is no engine (a 503).
  const store = () => services.engine.clusters.store;

  router.add('GET', '/api/clusters', authorised((ctx) => sendJson(ctx.res, 200, { clusters: store().list() })));

  router.add('POST', '/api/clusters', authorised(async (ctx) => {
    const { name, address } = await readJsonBody(ctx.req);
    if (typeof name !== 'string' || typeof address !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "name" and "address" strings, e.g. {"name": "lab", "address": "tcp://10.0.0.7:8786"}');
    sendJson(ctx.res, 201, store().add(name, address));
  }));

  router.add('DELETE', '/api/clusters/:cluster', authorised((ctx) => {
    const name = ctx.params.cluster as string;
    store().remove(name);
    sendJson(ctx.res, 200, { name, removed: true });
  }));
}
