/**
 * Tile exports and the workspace's tile archives, authorised by the private token (or the window):
 *
 * - `POST /api/exports/plan` with an export request (`src-shared/exports.ts`): its tile count,
 *   estimate and whether it needs `"force": true`; nothing starts.
 * - `POST /api/exports`: starts (or resumes) it as a job; 201 with the job's summary, whose
 *   `export` says how far it got. Progress, cancel and the failed tiles are the job's (`/api/jobs`).
 * - `GET /api/archives`: the `.pmtiles` and `.mbtiles` files of the workspace folders.
 * - `GET /api/archives/{name}/tilejson.json` and `/api/archives/{name}/tiles/{z}/{x}/{y}[.ext]`:
 *   one archive as a tile source (204 where it has no tile, as a tile UDF's empty tile); vector
 *   tiles as GeoJSON in degrees with `?format=geojson` (what the window's map draws).
 */

import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { ArchiveSource, TileFormat } from '../../../../src-shared/exports.js';
import { mvtToGeoJson } from '../../export/mvt-geojson.js';
import { sendJson } from '../http-response.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { parseTilePath } from '../run-query.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const gunzipAsync = promisify(gunzip);

const CONTENT_TYPES: Record<TileFormat, string> = {
  mvt: 'application/vnd.mapbox-vector-tile', png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp',
};
const EXTENSIONS: Record<TileFormat, string> = { mvt: 'mvt', png: 'png', jpeg: 'jpg', webp: 'webp' };

export function registerExportRoutes(router: Router, services: ServerServices): void {
  router.add('POST', '/api/exports/plan', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, await services.engine.exports.plan(await readJsonBody(ctx.req)));
  });

  router.add('POST', '/api/exports', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const job = await services.engine.exports.start(await readJsonBody(ctx.req));
    sendJson(ctx.res, 201, job.summary());
  });

  router.add('GET', '/api/archives', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, { archives: await services.engine.archives.list() });
  });

  router.add('GET', '/api/archives/:name/tilejson.json', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const source = await services.engine.archives.get(ctx.params.name as string);
    sendJson(ctx.res, 200, tileJson(ctx, source), { 'cache-control': 'no-cache' });
  });

  router.add('GET', '/api/archives/:name/tiles/:z/:x/:y', (ctx) => sendArchiveTile(services, ctx));
}

async function sendArchiveTile(services: ServerServices, ctx: RouteContext): Promise<void> {
  requirePrivateToken(services, ctx.req);
  const name = ctx.params.name as string;
  const { tile } = parseTilePath(ctx.params.z as string, ctx.params.x as string, ctx.params.y as string);
  const source = await services.engine.archives.get(name);
  const stored = await services.engine.archives.tile(name, tile.z, tile.x, tile.y);
  if (!stored) {
    ctx.res.writeHead(204, { 'cache-control': 'no-cache' });
    ctx.res.end();
    return;
  }
  if (source.tileFormat === 'mvt' && ctx.query.get('format') === 'geojson') {
    // The window draws vector tiles from GeoJSON, as it draws a tile UDF's.
    const bytes = stored.gzipped ? await gunzipAsync(stored.bytes) : stored.bytes;
    sendJson(ctx.res, 200, mvtToGeoJson(bytes, tile), { 'content-type': 'application/geo+json', 'cache-control': 'no-cache' });
    return;
  }
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[source.tileFormat], 'cache-control': 'no-cache' };
  let body = stored.bytes;
  if (stored.gzipped) {
    const acceptsGzip = /\bgzip\b/.test(String(ctx.req.headers['accept-encoding'] ?? ''));
    if (acceptsGzip) headers['content-encoding'] = 'gzip';
    else body = await gunzipAsync(body);
  }
  headers['content-length'] = String(body.length);
  ctx.res.writeHead(200, headers);
  ctx.res.end(body);
}

function tileJson(ctx: RouteContext, source: ArchiveSource): Record<string, unknown> {
  const host = ctx.req.headers.host ?? ctx.url.host;
  const base = ctx.url.pathname.replace(/\/tilejson\.json$/, '');
  const [west, south, east, north] = source.bounds;
  return {
    tilejson: '3.0.0',
    name: source.name,
    tiles: [`http://${host}${base}/tiles/{z}/{x}/{y}.${EXTENSIONS[source.tileFormat]}`],
    minzoom: source.minZoom,
    maxzoom: source.maxZoom,
    bounds: source.bounds,
    center: [(west + east) / 2, (south + north) / 2, source.minZoom],
    format: source.tileFormat === 'mvt' ? 'pbf' : EXTENSIONS[source.tileFormat],
    ...(source.tileFormat === 'mvt' ? { vector_layers: source.layers.map((id) => ({ id, fields: {} })) } : {}),
  };
}
