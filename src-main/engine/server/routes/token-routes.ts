/**
 * Shared-token management on Fused's FusedAPI routes, authorised by the private token:
 * create (`/udf-access-token/new`), list (`/self`, paged by `skip` and `limit`), and read, update
 * and delete (`/by-token/{token}`). Every answer is a token object the official client parses as its
 * `UdfAccessToken` (a delete answers the token it deleted).
 *
 * Answers: 401 without the private token, 404 for an unknown token, UDF or owner, 400 for a bad body
 * or query.
 */

import { udfError } from '../../../../src-shared/errors.js';
import { newTokenFromBody, tokenUpdateFromBody, type TokenTargets } from '../../tokens/token-request.js';
import { looksLikeSharedToken, type ListPage, type SharedToken } from '../../tokens/token-store.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const BASE = '/server/v1/udf-access-token';

/** A token as the routes answer it: its owner as Fused names one, and the URLs it opens (when the full token is known). */
export type AnsweredToken = SharedToken & {
  owning_user_id: string;
  owning_execution_environment_id: null;
  file_url?: string;
  tile_url?: string;
  tilejson_url?: string;
};

export function registerTokenRoutes(router: Router, services: ServerServices): void {
  const authorised = (handler: (ctx: RouteContext) => Promise<void> | void) => (ctx: RouteContext) => {
    requirePrivateToken(services, ctx.req);
    return handler(ctx);
  };
  const targets = (): TokenTargets => ({
    workspace: services.engine.workspace,
    ids: services.engine.udfIds,
    account: services.account(),
    isRemote: (name) => services.remotes.boundRemote(name) !== null,
  });

  router.add('POST', `${BASE}/new`, authorised(async (ctx) => {
    const fields = newTokenFromBody(await readJsonBody(ctx.req), targets());
    sendJson(ctx.res, 201, answer(ctx, services.account().id, services.tokens.create(fields)));
  }));

  router.add('GET', `${BASE}/self`, authorised((ctx) => {
    const owner = services.account().id;
    sendJson(ctx.res, 200, services.tokens.list(pageOf(ctx.query)).map((token) => answer(ctx, owner, token)));
  }));

  router.add('GET', `${BASE}/by-token/:token`, authorised((ctx) => {
    sendJson(ctx.res, 200, answer(ctx, services.account().id, services.tokens.get(ctx.params.token as string)));
  }));

  router.add('POST', `${BASE}/by-token/:token`, authorised(async (ctx) => {
    const changes = tokenUpdateFromBody(await readJsonBody(ctx.req));
    sendJson(ctx.res, 200, answer(ctx, services.account().id, services.tokens.update(ctx.params.token as string, changes)));
  }));

  router.add('DELETE', `${BASE}/by-token/:token`, authorised((ctx) => {
    sendJson(ctx.res, 200, answer(ctx, services.account().id, services.tokens.delete(ctx.params.token as string)));
  }));
}

/**
 * `skip` and `limit` as the client sends them (whole numbers); absent means from the start and
 * everything. Numbers past any count of tokens are past the end: an empty page, which ends the
 * client's paging.
 */
function pageOf(query: URLSearchParams): ListPage {
  const page: ListPage = {};
  for (const name of ['skip', 'limit'] as const) {
    const values = query.getAll(name);
    if (values.length === 0) continue;
    const text = values[0] as string;
    if (values.length > 1 || !/^\+?\d{1,400}$/.test(text)) throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be one whole number, 0 or more`);
    page[name] = Math.min(Number(text), Number.MAX_SAFE_INTEGER);
  }
  return page;
}

/**
 * A token with its owner (every token here is the local account's; sending the execution
 * environment as null also spares the client a warning about its own default) and its URLs, as
 * the window's "Copy" buttons and the CLI give them.
 */
function answer(ctx: RouteContext, owner: string, token: SharedToken): AnsweredToken {
  const answered: AnsweredToken = { ...token, owning_user_id: owner, owning_execution_environment_id: null };
  if (!looksLikeSharedToken(token.token)) return answered;
  const base = `http://${ctx.req.headers.host ?? ctx.url.host}/server/v1/realtime-shared/${token.token}/run`;
  return { ...answered, file_url: `${base}/file`, tile_url: `${base}/tiles/{z}/{x}/{y}`, tilejson_url: `${base}/tiles/tilejson.json` };
}
