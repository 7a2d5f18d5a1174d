/**
 * Runs from the window, authorised like every private route:
 *
 * - `POST /api/udfs/{name}/run` with `{"params": {NAME: "value"}}`: the result in the form the
 *   window shows (json for tables, geojson for geotables, png for arrays, html, text), with its
 *   kind, duration and cache status in headers; the run's log also goes out on the event stream.
 * - `GET /api/udfs/{name}/tiles/{z}/{x}/{y}`: a map tile; `v` (the code key the window busts its
 *   tile URLs with) is ignored, every other query parameter is as on the run routes.
 *
 * Both follow the engine switch: a UDF switched to a remote sends its local code there as a code
 * run (so the window shows the code being edited, computed remotely), with the local result cache
 * in front; the answer names the engine in `x-udf-studio-engine`.
 */

import { HTTP_DEFAULTS, parseFormatList } from '../../../../src-shared/formats.js';
import { RUN_HEADERS, WINDOW_FORMATS } from '../../../../src-shared/app-api.js';
import type { EngineResult, EngineRun } from '../../engine-run.js';
import type { UdfFolder } from '../../workspace/udf-folder.js';
import { sendRunResult } from '../http-response.js';
import { abortOnDisconnect } from '../recursion.js';
import { readJsonBody } from '../request-body.js';
import { stringParams } from '../../../../src-shared/query-names.js';
import type { Router } from '../router.js';
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
    const remote = services.remotes.boundRemote(ctx.params.name as string);
    // A window that goes away (closed, reloaded) stops its run, unless another request shares it.
    const result = await runOnEngine(services, remote, { udf, params, formats: parseFormatList(WINDOW_FORMATS), defaults: HTTP_DEFAULTS, signal: abortOnDisconnect(ctx.res) });
    const { outcome } = result;
    services.events.emit({
      type: 'run', udf: udf.name, ok: outcome.ok, durationMs: outcome.durationMs, cache: result.cache,
      stdout: outcome.stdout.slice(0, EVENT_TEXT_LIMIT), stderr: outcome.stderr.slice(0, EVENT_TEXT_LIMIT), error: outcome.ok ? null : outcome.error,
    });
    const headers: Record<string, string> = { [RUN_HEADERS.durationMs]: String(Math.round(outcome.durationMs * 10) / 10), ...engineHeader(remote) };
    if (outcome.ok) headers[RUN_HEADERS.kind] = outcome.empty ? 'empty' : remote ? remoteKind(outcome.kind, outcome.body) : outcome.kind;
    await sendRunResult(ctx.req, ctx.res, result, { tile: false, headers });
  });

  router.add('GET', '/api/udfs/:name/tiles/:z/:x/:y', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const tile = parseTilePath(ctx.params.z as string, ctx.params.x as string, ctx.params.y as string);
    const udf: UdfFolder = services.engine.workspace.resolveName(ctx.params.name as string);
    const query = new URLSearchParams(ctx.query);
    query.delete(VERSION_PARAMETER);
    const parsed = parseRunQuery(query, tile.format ? [tile.format] : []);
    const remote = services.remotes.boundRemote(ctx.params.name as string);
    // The map drops tiles it no longer shows: their runs stop, unless another request shares them.
    const result = await runOnEngine(services, remote, {
      udf, params: parsed.params, tile: tile.tile, formats: parsed.formats, defaults: HTTP_DEFAULTS, cacheMaxAge: parsed.cacheMaxAge,
      signal: abortOnDisconnect(ctx.res),
    });
    await sendRunResult(ctx.req, ctx.res, result, { tile: true, headers: { ...ctx.headers, ...engineHeader(remote) } });
  });
}

/** Runs here, or on the remote the engine switch names (the local code as a code run, cached here). */
function runOnEngine(services: ServerServices, remote: string | null, run: EngineRun): Promise<EngineResult> {
  if (!remote) return services.engine.run(run);
  return services.remotes.run(remote, services.engine.udfIds.idFor(run.udf), {
    target: { kind: 'code', udf: run.udf.source }, params: run.params ?? {}, tile: run.tile ?? null, formats: run.formats ?? [], cacheMaxAge: run.cacheMaxAge ?? null,
    ...(run.signal ? { signal: run.signal } : {}),
  });
}

function engineHeader(remote: string | null): Record<string, string> {
  return { [RUN_HEADERS.engine]: remote ?? 'local' };
}

/**
 * A remote's answer names a format, not a kind: JSON that is a list of records is what a table
 * becomes in the window's formats, so it is shown as one.
 */
function remoteKind(kind: string, body: Uint8Array): string {
  if (kind !== 'json') return kind;
  try {
    const value: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    const records = Array.isArray(value) && value.length > 0 && value.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row));
    return records ? 'table' : kind;
  } catch {
    return kind;
  }
}
