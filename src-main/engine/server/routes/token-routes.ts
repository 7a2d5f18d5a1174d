/**
 * Shared-token management on Fused's FusedAPI routes, authorised by the private token:
 * create (`/udf-access-token/new`), read, update and delete (`/by-token/{token}`), list (`/self`).
 *
 * Answers: 401 without the private token, 404 for an unknown token or UDF, 400 for a bad body.
 */

import { udfError } from '../../../../src-shared/errors.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';
import type { SharedToken, TokenUpdate } from '../../tokens/token-store.js';

const BASE = '/server/v1/udf-access-token';

export function registerTokenRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };

  router.add('POST', `${BASE}/new`, authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const slug = [body.udf_slug, body.udf_name, body.udf_email_or_name_or_id].find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!slug) throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "udf_slug": the name of the UDF the token runs');
    const name = slug.split('/').pop() as string;
    // A UDF the engine switch sends to a remote needs no local folder.
    const udf = services.remotes.boundRemote(name) ? null : services.engine.workspace.resolveName(name);
    const fusedId = udf?.source.metadata['fused:id'];
    const token = services.tokens.create({
      udfSlug: udf?.name ?? name,
      udfId: typeof fusedId === 'string' ? fusedId : null,
      ...booleanField(body, 'enabled'),
      ...booleanField(body, 'cache'),
      ...metadataField(body),
    });
    sendJson(ctx.res, 201, withUrls(ctx, token));
  }));

  router.add('GET', `${BASE}/self`, authorised((ctx) => sendJson(ctx.res, 200, services.tokens.list())));

  router.add('GET', `${BASE}/by-token/:token`, authorised((ctx) => {
    sendJson(ctx.res, 200, withUrls(ctx, found(services.tokens.find(ctx.params.token as string))));
  }));

  router.add('POST', `${BASE}/by-token/:token`, authorised(async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const changes: TokenUpdate = { ...booleanField(body, 'enabled'), ...booleanField(body, 'cache'), ...metadataField(body) };
    sendJson(ctx.res, 200, withUrls(ctx, found(services.tokens.update(ctx.params.token as string, changes))));
  }));

  router.add('DELETE', `${BASE}/by-token/:token`, authorised((ctx) => {
    if (!services.tokens.delete(ctx.params.token as string)) throw udfError('UDF_ERR_TOKEN_UNKNOWN', 'no such shared token');
    sendJson(ctx.res, 200, { deleted: true });
  }));
}

/** A token with the URLs it opens, as the Fused SDK's get_file_url / get_tile_url give them. */
function withUrls(ctx: RouteContext, token: SharedToken): SharedToken & { file_url: string; tile_url: string; tilejson_url: string } {
  const base = `http://${ctx.req.headers.host ?? ctx.url.host}/server/v1/realtime-shared/${token.token}/run`;
  return { ...token, file_url: `${base}/file`, tile_url: `${base}/tiles/{z}/{x}/{y}`, tilejson_url: `${base}/tiles/tilejson.json` };
}

function found(token: SharedToken | null): SharedToken {
  if (!token) throw udfError('UDF_ERR_TOKEN_UNKNOWN', 'no such shared token');
  return token;
}

function booleanField(body: Record<string, unknown>, name: 'enabled' | 'cache'): { enabled?: boolean; cache?: boolean } {
  const value = body[name];
  if (value === undefined) return {};
  if (typeof value !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be true or false`);
  return { [name]: value };
}

function metadataField(body: Record<string, unknown>): { metadata?: Record<string, unknown> } {
  let value = body.metadata_json;
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw udfError('UDF_ERR_BAD_REQUEST', '"metadata_json" must be a JSON object');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw udfError('UDF_ERR_BAD_REQUEST', '"metadata_json" must be a JSON object');
  return { metadata: value as Record<string, unknown> };
}
