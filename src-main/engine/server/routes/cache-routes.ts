/**
 * Cache invalidation on Fused's route, and the app's own cache API, both authorised by the private
 * token (as `Bearer` or Fused's `fused-service-token`):
 *
 * - `DELETE /server/v1/realtime-shared/{client_id}/udf-cache/by-id/{udf_id}/delete[?z=&x=&y=]`:
 *   a UDF's results, or one tile's (z, x and y together; 422 otherwise).
 * - `GET /api/cache`: size and entries per UDF. `DELETE /api/cache[?udf=NAME]`: clear one UDF or all.
 */

import { udfError } from '../../../../src-shared/errors.js';
import { assertValidTile, type Tile } from '../../../../src-shared/tiles.js';
import type { ResultCache } from '../../cache/result-cache.js';
import { sendJson } from '../http-response.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

export function registerCacheRoutes(router: Router, services: ServerServices): void {
  router.add('DELETE', '/server/v1/realtime-shared/:client/udf-cache/by-id/:udfId/delete', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const cache = cacheOf(services);
    const tile = tileFromQuery(ctx);
    const udfId = resolveUdfId(services, ctx.params.udfId as string);
    sendJson(ctx.res, 200, { udf_id: udfId, deleted: cache.invalidate(udfId, tile) });
  });

  router.add('GET', '/api/cache', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const stats = cacheOf(services).stats();
    const names = udfNames(services);
    sendJson(ctx.res, 200, { ...stats, byUdf: stats.byUdf.map((row) => ({ ...row, name: names.get(row.udfId) ?? null })) });
  });

  router.add('DELETE', '/api/cache', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const cache = cacheOf(services);
    const name = ctx.query.get('udf');
    if (name === null) {
      sendJson(ctx.res, 200, { deleted: cache.clear() });
      return;
    }
    const udfId = resolveUdfId(services, name);
    sendJson(ctx.res, 200, { udf_id: udfId, deleted: cache.invalidate(udfId) });
  });
}

function cacheOf(services: ServerServices): ResultCache {
  if (!services.engine.cache) throw udfError('UDF_ERR_USAGE', 'this engine runs without a result cache');
  return services.engine.cache;
}

/** z, x and y from the query: all three (a valid tile) or none. */
function tileFromQuery(ctx: RouteContext): Tile | null {
  const given = ['z', 'x', 'y'].filter((name) => ctx.query.has(name));
  if (given.length === 0) return null;
  if (given.length !== 3) throw udfError('UDF_ERR_TILE_INCOMPLETE', `z, x and y must be given together (got only ${given.join(', ')})`);
  const parse = (name: string): number => {
    const text = ctx.query.get(name) as string;
    if (!/^\d{1,10}$/.test(text)) throw udfError('UDF_ERR_BAD_TILE', `tile ${name} must be a whole number >= 0, got "${text}"`);
    return Number(text);
  };
  const tile = { z: parse('z'), x: parse('x'), y: parse('y') };
  assertValidTile(tile);
  return tile;
}

/** A UDF's cache id from its `fused:id`, its assigned id or its name; else an id the cache holds. */
function resolveUdfId(services: ServerServices, given: string): string {
  const { engine } = services;
  for (const entry of engine.workspace.list()) {
    if (entry.kind !== 'udf') continue;
    const id = engine.udfIds.idFor(entry);
    if (id === given || entry.name === given) return id;
  }
  // Code runs (no folder) are cached as `code:<name>`; Python's invalidate_cache sends the bare name.
  const known = new Set(engine.cache?.stats().byUdf.map((row) => row.udfId) ?? []);
  if (known.has(given)) return given;
  if (known.has(`code:${given}`)) return `code:${given}`;
  // Results proxied from a remote for a UDF with no local folder.
  if (known.has(`remote:${given}`)) return `remote:${given}`;
  throw udfError('UDF_ERR_NOT_FOUND', `no UDF with id or name "${given}"`);
}

function udfNames(services: ServerServices): Map<string, string> {
  const names = new Map<string, string>();
  for (const entry of services.engine.workspace.list()) if (entry.kind === 'udf') names.set(services.engine.udfIds.idFor(entry), entry.name);
  return names;
}
