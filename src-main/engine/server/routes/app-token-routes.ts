/**
 * The window's token manager: change or delete a shared token by what the listing shows (the full
 * token, or the prefix of one made before full tokens were kept). Creating and listing use Fused's
 * own token routes.
 *
 * - `POST /api/tokens/{prefix}` with `{"enabled"?, "cache"?}`; `DELETE /api/tokens/{prefix}`.
 */

import { udfError } from '../../../../src-shared/errors.js';
import type { TokenUpdate } from '../../tokens/token-store.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

export function registerAppTokenRoutes(router: Router, services: ServerServices): void {
  router.add('POST', '/api/tokens/:prefix', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const body = await readJsonBody(ctx.req);
    const changes: TokenUpdate = {};
    for (const name of ['enabled', 'cache'] as const) {
      const value = body[name];
      if (value === undefined) continue;
      if (typeof value !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be true or false`);
      changes[name] = value;
    }
    const unknown = Object.keys(body).filter((name) => name !== 'enabled' && name !== 'cache');
    if (unknown.length > 0) throw udfError('UDF_ERR_BAD_REQUEST', `the window changes only "enabled" and "cache", not ${unknown.join(', ')}`);
    sendJson(ctx.res, 200, services.tokens.update(ctx.params.prefix as string, changes));
  });

  router.add('DELETE', '/api/tokens/:prefix', (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, { deleted: services.tokens.delete(ctx.params.prefix as string) });
  });
}
