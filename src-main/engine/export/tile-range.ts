/**
 * The tiles of an export's area: a bounding box and a zoom range, checked, counted and listed.
 *
 * Every problem is a UDF_ERR_EXPORT_AREA naming the value, so the CLI, the HTTP API and the dialog
 * all say the same thing about a bad area.
 */

import { udfError } from '../../../src-shared/errors.js';
import { MAX_EXPORT_LATITUDE, MAX_EXPORT_ZOOM } from '../../../src-shared/exports.js';
import type { Bounds, Tile } from '../../../src-shared/tiles.js';

export interface TileRange {
  bbox: Bounds;
  minZoom: number;
  maxZoom: number;
}

/** The tiles of one zoom level: columns minX..maxX and rows minY..maxY, inclusive. */
export interface ZoomSpan {
  z: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** Parses `W,S,E,N` (degrees) and checks it. */
export function parseBbox(text: string): Bounds {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length !== 4 || parts.some((part) => part === '' || !Number.isFinite(Number(part)))) {
    throw udfError('UDF_ERR_EXPORT_AREA', `the bounding box must be four numbers W,S,E,N in degrees, got "${text}"`);
  }
  return checkBbox(parts.map(Number) as unknown as Bounds);
}

/** Parses `MIN-MAX` or a single zoom `Z`. */
export function parseZoomRange(text: string): { minZoom: number; maxZoom: number } {
  const match = /^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?$/.exec(text);
  if (!match?.[1]) throw udfError('UDF_ERR_EXPORT_AREA', `the zoom range must be MIN-MAX (e.g. 10-14) or one zoom, got "${text}"`);
  const minZoom = Number(match[1]);
  return { minZoom, maxZoom: match[2] === undefined ? minZoom : Number(match[2]) };
}

/** Checks a whole area; the first problem found is thrown. */
export function checkRange(bbox: unknown, minZoom: unknown, maxZoom: unknown): TileRange {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number')) {
    throw udfError('UDF_ERR_EXPORT_AREA', 'the bounding box must be [west, south, east, north] in degrees');
  }
  const checked = checkBbox(bbox as unknown as Bounds);
  for (const [name, zoom] of [['minimum', minZoom], ['maximum', maxZoom]] as const) {
    if (typeof zoom !== 'number' || !Number.isInteger(zoom) || zoom < 0 || zoom > MAX_EXPORT_ZOOM) {
      throw udfError('UDF_ERR_EXPORT_AREA', `the ${name} zoom must be a whole number from 0 to ${MAX_EXPORT_ZOOM}, got ${String(zoom)}`);
    }
  }
  if ((minZoom as number) > (maxZoom as number)) {
    throw udfError('UDF_ERR_EXPORT_AREA', `the minimum zoom (${String(minZoom)}) is above the maximum (${String(maxZoom)})`);
  }
  return { bbox: checked, minZoom: minZoom as number, maxZoom: maxZoom as number };
}

function checkBbox(bbox: Bounds): Bounds {
  const [west, south, east, north] = bbox;
  if (!bbox.every(Number.isFinite)) throw udfError('UDF_ERR_EXPORT_AREA', 'the bounding box must be four finite numbers');
  for (const [name, lon] of [['west', west], ['east', east]] as const) {
    if (lon < -180 || lon > 180) throw udfError('UDF_ERR_EXPORT_AREA', `the ${name} edge must be a longitude from -180 to 180, got ${lon}`);
  }
  for (const [name, lat] of [['south', south], ['north', north]] as const) {
    if (Math.abs(lat) > MAX_EXPORT_LATITUDE) {
      throw udfError('UDF_ERR_EXPORT_AREA', `the ${name} edge is at latitude ${lat}, beyond ±${MAX_EXPORT_LATITUDE}: Web Mercator tiles end there`);
    }
  }
  if (west >= east) {
    throw udfError('UDF_ERR_EXPORT_AREA', `the bounding box is inverted or empty: west (${west}) must be less than east (${east}); an area across the antimeridian is two exports`);
  }
  if (south >= north) throw udfError('UDF_ERR_EXPORT_AREA', `the bounding box is inverted or empty: south (${south}) must be less than north (${north})`);
  return [west, south, east, north];
}

/** The columns and rows each zoom of the range covers; an edge on a tile border takes no tile beyond it. */
export function zoomSpans(range: TileRange): ZoomSpan[] {
  const [west, south, east, north] = range.bbox;
  const spans: ZoomSpan[] = [];
  for (let z = range.minZoom; z <= range.maxZoom; z += 1) {
    const n = 2 ** z;
    const first = (value: number): number => Math.min(n - 1, Math.max(0, Math.floor(value)));
    const last = (value: number): number => Math.min(n - 1, Math.max(0, Math.ceil(value) - 1));
    const minX = first(lonToX(west, n));
    const minY = first(latToY(north, n));
    spans.push({ z, minX, maxX: Math.max(minX, last(lonToX(east, n))), minY, maxY: Math.max(minY, last(latToY(south, n))) });
  }
  return spans;
}

export function tileCount(range: TileRange): number {
  return zoomSpans(range).reduce((sum, span) => sum + spanSize(span), 0);
}

export function spanSize(span: ZoomSpan): number {
  return (span.maxX - span.minX + 1) * (span.maxY - span.minY + 1);
}

/** Every tile of the range, zoom by zoom, row by row. */
export function* tilesOf(range: TileRange): Generator<Tile> {
  for (const span of zoomSpans(range)) {
    for (let y = span.minY; y <= span.maxY; y += 1) {
      for (let x = span.minX; x <= span.maxX; x += 1) yield { z: span.z, x, y };
    }
  }
}

/** A longitude as a fractional tile column at a zoom of `n` columns. */
function lonToX(lon: number, n: number): number {
  return ((lon + 180) / 360) * n;
}

/** A latitude as a fractional tile row (0 at the north). */
function latToY(lat: number, n: number): number {
  const rad = (lat * Math.PI) / 180;
  return ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n;
}
