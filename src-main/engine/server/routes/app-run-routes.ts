/**
 * Runs from the window, authorised like every private route:
 *
 * - `POST /api/udfs/{name}/run` with `{"params": {NAME: "value"}}`: the result in the form the
 *   window shows (json for tables, geojson for geotables, png for arrays, html, text), with its
 *   kind, duration and cache status in headers; the run's log also goes out on the event stream.
 * - `GET /api/udfs/{name}/tiles/{z}/{x}/{y}`: a map tile; `v` (the code key the window busts its
 *   tile URLs with) is ignored, every other query parameter is as on the run routes.
 */

import { HTTP_DEFAULTS, parseFormatList } from '../../../../src-shared/formats.js';
import { RUN_HEADERS, WINDOW_FORMATS } from '../../../../src-shared/app-api.js';
import { udfError } from '../../../../src-shared/errors.js';
import type { UdfFolder } from '../../workspace/udf-folder.js';
import { sendRunResult } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { parseRunQuery, parseTilePath } from '../run-query.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

/** Characters of stdout/stderr a run event carries (the full text is in the run's answer). */
const EVENT_TEXT_LIMIT = 20_000;
/** The query parameter that only busts caches. */
const VERSION_PARAMETER = 'v';

export function registerAppRunRoutes(router: Router, services: ServerServices): void {
  router.add('POST', '/api/udfs/:name/run', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const body = await readJsonBody(ctx.req);
    const params = stringParams(body.params);
    const udf = services.engine.workspace.resolveName(ctx.params.name as string);
    const result = await services.engine.run({ udf, params, formats: parseFormatList(WINDOW_FORMATS), defaults: HTTP_DEFAULTS });
    const { outcome } = result;
    services.events.emit({
      type: 'run', udf: udf.name, ok: outcome.ok, durationMs: outcome.durationMs, cache: result.cache,
      stdout: outcome.stdout.slice(0, EVENT_TEXT_LIMIT), stderr: outcome.stderr.slice(0, EVENT_TEXT_LIMIT), error: outcome.ok ? null : outcome.error,
    });
    const headers: Record<string, string> = { [RUN_HEADERS.durationMs]: String(Math.round(outcome.durationMs * 10) / 10) };
    if (outcome.ok) headers[RUN_HEADERS.kind] = outcome.empty ? 'empty' : outcome.kind;
    await sendRunResult(ctx.req, ctx.res, result, { tile: false, headers });
  });

  router.add('GET', '/api/udfs/:name/tiles/:z/:x/:y', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const tile = parseTilePath(ctx.params.z as string, ctx.params.x as string, ctx.params.y as string);
    const udf: UdfFolder = services.engine.workspace.resolveName(ctx.params.name as string);
    const query = new URLSearchParams(ctx.query);
    query.delete(VERSION_PARAMETER);
    const parsed = parseRunQuery(query, tile.format ? [tile.format] : []);
    const result = await services.engine.run({
      udf, params: parsed.params, tile: tile.tile, formats: parsed.formats, defaults: HTTP_DEFAULTS, cacheMaxAge: parsed.cacheMaxAge,
    });
    await sendRunResult(ctx.req, ctx.res, result, { tile: true, headers: ctx.headers });
  });
}

/** `params` must map names to strings (converted by the UDF's annotations, as query values are). */
function stringParams(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw udfError('UDF_ERR_BAD_REQUEST', '"params" must be an object of parameter names to values');
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', `parameter "${name}" must be given as a string (it is converted by the UDF's annotation)`);
    params[name] = value;
  }
  return params;
}
