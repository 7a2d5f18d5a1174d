/**
 * The app's API for the home's secrets, for the window's Secrets view; all with the private token.
 * `GET /api/secrets` lists names, `POST /api/secrets` sets one (`{"name", "value"}`),
 * `DELETE /api/secrets/{name}` forgets one. Values go in and never come back out, in no answer and
 * no error.
 */

import type { SecretSaved, SecretsListing } from '../../../../src-shared/app-api.js';
import { MAX_SECRET_VALUE_BYTES } from '../../../../src-shared/app-api.js';
import { udfError } from '../../../../src-shared/errors.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

/** A value at its limit, escaped as JSON (six bytes a character at worst), with room for the name. */
const MAX_SECRET_BODY_BYTES = MAX_SECRET_VALUE_BYTES * 6 + 1_024;

export function registerSecretRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };

  router.add('GET', '/api/secrets', authorised((ctx) => {
    sendJson(ctx.res, 200, { secrets: services.secrets.names().map((name) => ({ name })) } satisfies SecretsListing);
  }));

  router.add('POST', '/api/secrets', authorised(async (ctx) => {
    const { name, value } = await readJsonBody(ctx.req, { limit: MAX_SECRET_BODY_BYTES, sensitive: true });
    if (typeof name !== 'string' || typeof value !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "name" and "value" strings, e.g. {"name": "MY_API_KEY", "value": "..."}');
    const { replaced } = services.secrets.set(name, value);
    sendJson(ctx.res, replaced ? 200 : 201, { name, replaced } satisfies SecretSaved);
  }));

  router.add('DELETE', '/api/secrets/:name', authorised((ctx) => {
    const name = ctx.params.name as string;
    services.secrets.remove(name);
    sendJson(ctx.res, 200, { name, removed: true });
  }));
}
