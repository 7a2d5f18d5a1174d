/**
 * TileJSON 3.0.0 for a UDF's tile URL, so MapLibre, deck.gl and Leaflet plugins can read it.
 */

import { udfError } from '../../../src-shared/errors.js';
import { parseFormat, type Format } from '../../../src-shared/formats.js';
import type { UdfFolder } from '../workspace/udf-folder.js';
import { sendJson } from './http-response.js';
import type { RouteContext } from './router.js';

/** Web Mercator's latitude limit: the world as tiles cover it. */
const WORLD_BOUNDS = [-180, -85.0511, 180, 85.0511];
const MAX_ZOOM = 22;

/** Answers `.../tiles/tilejson.json` with the tiles template of the same URL. */
export function sendTileJson(ctx: RouteContext, udf: UdfFolder): void {
  const format = tileFormat(ctx.query, udf);
  const query = new URLSearchParams(ctx.query);
  query.delete('format');
  const search = query.toString();
  const base = ctx.url.pathname.replace(/\/tilejson\.json$/, '');
  const host = ctx.req.headers.host ?? ctx.url.host;
  const template = `http://${host}${base}/{z}/{x}/{y}.${format === 'mvt' ? 'mvt' : format}${search ? `?${search}` : ''}`;
  const view = (udf.source.metadata['fused:defaultViewState'] ?? {}) as { latitude?: unknown; longitude?: unknown; zoom?: unknown };
  const center = [view.longitude, view.latitude, view.zoom].every((v) => typeof v === 'number')
    ? [view.longitude as number, view.latitude as number, Math.round(view.zoom as number)]
    : [0, 0, 2];
  sendJson(ctx.res, 200, {
    tilejson: '3.0.0',
    name: udf.name,
    description: summary(udf.description),
    tiles: [template],
    minzoom: 0,
    maxzoom: MAX_ZOOM,
    bounds: WORLD_BOUNDS,
    center,
    format: format === 'mvt' ? 'pbf' : format,
    ...(format === 'mvt' ? { vector_layers: [{ id: 'udf', fields: {} }] } : {}),
  }, { ...ctx.headers, 'cache-control': 'no-cache' });
}

/** The first paragraph of the UDF's markdown description, as plain text for map clients' legends. */
function summary(markdown: string | null): string | undefined {
  const paragraph = markdown?.split(/\n\s*\n/).map((p) => p.trim()).find((p) => p && !p.startsWith('#'));
  if (!paragraph) return undefined;
  const text = paragraph.replace(/[`*_]/g, '').replace(/\s+/g, ' ');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The tiles' format: `?format=` when given, else from the UDF's type (vector → mvt), else png. */
function tileFormat(query: URLSearchParams, udf: UdfFolder): Format {
  const asked = query.get('format');
  if (asked) {
    const format = parseFormat(asked.split(',')[0] as string);
    if (!['mvt', 'png', 'jpeg', 'webp', 'gif', 'geojson'].includes(format)) {
      throw udfError('UDF_ERR_FORMAT', `tiles cannot be served as ${format}; use mvt, png, jpeg, webp or gif`);
    }
    return format;
  }
  return udf.udfType.startsWith('vector') ? 'mvt' : 'png';
}
