/**
 * The run routes of Fused's hosted API, answered for local UDFs:
 * shared-token runs (file, tiles, TileJSON, `/{token}.{ext}`) and private runs of saved UDFs.
 * Code runs (a `step_config` body) are in code-run-routes.ts.
 */

import { udfError } from '../../../../src-shared/errors.js';
import { HTTP_DEFAULTS, parseFormat, type Format } from '../../../../src-shared/formats.js';
import type { Tile } from '../../../../src-shared/tiles.js';
import type { EngineResult, EngineRun } from '../../engine-run.js';
import { remoteCacheId } from '../../remote/remote-engines.js';
import type { SharedToken } from '../../tokens/token-store.js';
import { makeSource, type UdfFolder } from '../../workspace/udf-folder.js';
import type { AnswerMemo, HitAnswer } from '../answer-memo.js';
import { sendRunResult, type SendOptions } from '../http-response.js';
import type { RouteContext, Router } from '../router.js';
import { abortOnDisconnect, proxyHops, recursionDepth } from '../recursion.js';
import { runHeaders } from '../run-headers.js';
import { parseRunQuery, parseTilePath } from '../run-query.js';
import { requirePrivateToken, type ServerServices } from '../services.js';
import { sendTileJson } from '../tilejson.js';

const SHARED_BASES = ['/server/v1/realtime-shared/:token', '/:token'];
/** The private runs' base: saved UDFs here, code runs in code-run-routes.ts. */
export const PRIVATE_BASE = '/server/v1/realtime/:client/api/v1/run/udf';

export function registerRunRoutes(router: Router, services: ServerServices, memo: AnswerMemo): void {
  const cors = { cors: true };
  for (const base of SHARED_BASES) {
    router.add('GET', `${base}/run`, (ctx) => runShared(services, memo, ctx, null), cors);
    router.add('GET', `${base}/run/file`, (ctx) => runShared(services, memo, ctx, null), cors);
    router.add('GET', `${base}/run/tiles/tilejson.json`, (ctx) => sendTileJson(ctx, sharedUdf(services, ctx.params.token as string)), cors);
    router.add('GET', `${base}/run/tiles/:z/:x/:y`, (ctx) => runShared(services, memo, ctx, tileOf(ctx)), cors);
  }

  const saved = `${PRIVATE_BASE}/saved/:owner/:name`;
  router.add('GET', saved, (ctx) => runSaved(services, ctx, null));
  router.add('GET', `${saved}/tiles/tilejson.json`, (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendTileJson(ctx, udfForTileJson(services, ctx.params.name as string));
  });
  router.add('GET', `${saved}/tiles/:z/:x/:y`, (ctx) => runSaved(services, ctx, tileOf(ctx)));
}

/** `/{token}.{ext}`: registered last, since it matches any single segment. */
export function registerTokenFileRoute(router: Router, services: ServerServices, memo: AnswerMemo): void {
  router.add('GET', '/:tokenFile', (ctx) => {
    const name = ctx.params.tokenFile as string;
    const dot = name.lastIndexOf('.');
    if (dot <= 0) throw udfError('UDF_ERR_ROUTE', `no route for /${name}`);
    const format = parseFormat(name.slice(dot + 1));
    return runShared(services, memo, { ...ctx, params: { token: name.slice(0, dot) } }, null, format);
  }, { cors: true });
}

export interface TileAndFormat {
  tile: Tile;
  format: Format | null;
}

export function tileOf(ctx: RouteContext): TileAndFormat {
  return parseTilePath(ctx.params.z as string, ctx.params.x as string, ctx.params.y as string);
}

/** A shared token that may run; 404 for an unknown token, 403 for a disabled one. */
function usableToken(services: ServerServices, tokenText: string): SharedToken {
  const token = services.tokens.find(tokenText);
  if (!token) throw udfError('UDF_ERR_TOKEN_UNKNOWN', 'no such shared token (it may have been deleted)');
  if (!token.enabled) throw udfError('UDF_ERR_TOKEN_DISABLED', 'this shared token is disabled');
  return token;
}

/** The token and the UDF it runs. */
function sharedTokenUdf(services: ServerServices, tokenText: string): { token: SharedToken; udf: UdfFolder } {
  const token = usableToken(services, tokenText);
  try {
    return { token, udf: services.engine.workspace.resolveName(token.udf_slug) };
  } catch {
    throw udfError('UDF_ERR_NOT_FOUND', `the UDF this token runs ("${token.udf_slug}") is no longer in the workspace`);
  }
}

function sharedUdf(services: ServerServices, tokenText: string): UdfFolder {
  const token = usableToken(services, tokenText);
  return services.remotes.boundRemote(token.udf_slug) ? udfForTileJson(services, token.udf_slug) : sharedTokenUdf(services, tokenText).udf;
}

/**
 * The UDF a TileJSON describes: the local folder when there is one; for a UDF the engine switch
 * sends to a remote and that exists only there, its name alone (so map clients keep working).
 */
function udfForTileJson(services: ServerServices, name: string): UdfFolder {
  try {
    return services.engine.workspace.resolveName(name);
  } catch (error) {
    if (!services.remotes.boundRemote(name)) throw error;
    return {
      kind: 'udf', name, dir: '', udfType: 'auto', meta: null, readme: null, description: null,
      source: makeSource({ name, path: null, dir: null, code: '', entrypoint: null, headers: [], metadata: {} }),
    };
  }
}

async function runShared(services: ServerServices, memo: AnswerMemo, ctx: RouteContext, tile: TileAndFormat | null, pathFormat: Format | null = null): Promise<void> {
  const token = usableToken(services, ctx.params.token as string);
  // A token made with cache off always runs its UDF.
  const cacheOverride = token.cache ? null : '0';
  const remote = services.remotes.boundRemote(token.udf_slug);
  if (remote) {
    await proxyAndSend(services, ctx, remote, token.udf_slug, tile, pathFormat ? [pathFormat] : [], cacheOverride);
    return;
  }
  const { udf } = sharedTokenUdf(services, token.token);
  const remember = (result: EngineResult) => (answer: HitAnswer, bodyIsShared: boolean): void => {
    if (result.key === undefined || result.etag === null) return;
    const source = { token: token.token, udfSlug: token.udf_slug, cacheKey: result.key, callMaxAge: result.callMaxAge ?? null, sha256: result.etag };
    memo.remember(ctx.req, source, answer, bodyIsShared);
  };
  await runAndSend(services, ctx, udf, tile, pathFormat ? [pathFormat] : [], cacheOverride, token.token, remember);
}

async function runSaved(services: ServerServices, ctx: RouteContext, tile: TileAndFormat | null): Promise<void> {
  requirePrivateToken(services, ctx.req);
  const name = ctx.params.name as string;
  const remote = services.remotes.boundRemote(name);
  if (remote) await proxyAndSend(services, ctx, remote, name, tile, []);
  else await runAndSend(services, ctx, services.engine.workspace.resolveName(name), tile, []);
}

/** Runs a UDF the engine switch sends to a remote, by its name there, with the local cache in front. */
async function proxyAndSend(
  services: ServerServices, ctx: RouteContext, remote: string, name: string, tile: TileAndFormat | null, requestFormats: Format[], cacheOverride: string | null = null,
): Promise<void> {
  const query = parseRunQuery(ctx.query, [...(tile?.format ? [tile.format] : []), ...requestFormats]);
  let cacheId: string;
  try {
    cacheId = services.engine.udfIds.idFor(services.engine.workspace.resolveName(name));
  } catch {
    cacheId = remoteCacheId(name);
  }
  const depth = recursionDepth(ctx.req);
  const hops = proxyHops(ctx.req, depth);
  const result = await services.remotes.run(remote, cacheId, {
    target: { kind: 'saved', name }, params: query.params, tile: tile?.tile ?? null, formats: query.formats, cacheMaxAge: cacheOverride ?? query.cacheMaxAge,
    ...(depth > 0 ? { depth } : {}),
    ...(hops > 0 ? { hops } : {}),
    // A client that goes away closes the request to the remote too, unless another request shares it.
    signal: abortOnDisconnect(ctx.res),
  });
  await sendRunResult(ctx.req, ctx.res, result, { tile: tile !== null, headers: ctx.headers });
}

/** Runs a UDF for a request and answers its result. */
async function runAndSend(
  services: ServerServices, ctx: RouteContext, udf: UdfFolder, tile: TileAndFormat | null, requestFormats: Format[], cacheOverride: string | null = null,
  sharedToken: string | null = null, remember: ((result: EngineResult) => NonNullable<SendOptions['remember']>) | null = null,
): Promise<void> {
  const run = engineRunFor(ctx, udf, tile, requestFormats, {}, cacheOverride, sharedToken);
  // A client that goes away (a map panning on) cancels the run, unless another request shares it.
  const result = await services.engine.run({ ...run, signal: abortOnDisconnect(ctx.res) });
  await sendRunResult(ctx.req, ctx.res, result, { tile: tile !== null, headers: ctx.headers, ...(remember ? { remember: remember(result) } : {}) });
}

/**
 * The run a request asks for: parameters from the body, then the query's; formats named by the
 * path or body before the query's; the cache setting of the query unless overridden; the request's
 * headers for `fused.context` (with the shared token it came through).
 */
export function engineRunFor(
  ctx: RouteContext, udf: UdfFolder, tile: TileAndFormat | null, requestFormats: Format[],
  bodyParameters: Record<string, unknown> = {}, cacheOverride: string | null = null, sharedToken: string | null = null,
): EngineRun {
  const query = parseRunQuery(ctx.query, [...(tile?.format ? [tile.format] : []), ...requestFormats]);
  const depth = recursionDepth(ctx.req);
  const hops = proxyHops(ctx.req, depth);
  return {
    udf,
    params: { ...bodyParameters, ...query.params },
    tile: tile?.tile ?? null,
    formats: query.formats,
    defaults: HTTP_DEFAULTS,
    cacheMaxAge: cacheOverride ?? query.cacheMaxAge,
    ...(depth > 0 ? { depth } : {}),
    ...(hops > 0 ? { hops } : {}),
    context: { headers: runHeaders(ctx.req, sharedToken) },
  };
}
