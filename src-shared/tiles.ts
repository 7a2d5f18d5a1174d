/**
 * Web Mercator (XYZ) tile math shared by the engine, the server and the window.
 *
 * Bounds are `[west, south, east, north]` in EPSG:4326 degrees, as Fused's `Bounds` type.
 */

import { udfError } from './errors.js';

/** The deepest zoom accepted; deeper tiles are smaller than a centimetre. */
export const MAX_ZOOM = 30;

export interface Tile {
  x: number;
  y: number;
  z: number;
}

export type Bounds = [west: number, south: number, east: number, north: number];

/** Checks a tile's coordinates and throws UDF_ERR_BAD_TILE with the reason when they are out of range. */
export function assertValidTile(tile: Tile): void {
  const { x, y, z } = tile;
  for (const [name, value] of [['z', z], ['x', x], ['y', y]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw udfError('UDF_ERR_BAD_TILE', `tile ${name} must be a whole number >= 0, got ${String(value)}`);
    }
  }
  if (z > MAX_ZOOM) throw udfError('UDF_ERR_BAD_TILE', `tile z must be at most ${MAX_ZOOM}, got ${z}`);
  const size = 2 ** z;
  if (x >= size || y >= size) {
    throw udfError('UDF_ERR_BAD_TILE', `tile x and y must be below ${size} at zoom ${z}, got x=${x} y=${y}`);
  }
}

/** Parses tile coordinates given as text (a URL path, a CLI flag); all three or none. */
export function parseTile(x: string | undefined, y: string | undefined, z: string | undefined): Tile | null {
  const given = [x, y, z].filter((v) => v !== undefined).length;
  if (given === 0) return null;
  if (given !== 3) throw udfError('UDF_ERR_BAD_TILE', 'tile coordinates x, y and z must be given together');
  const parse = (name: string, text: string): number => {
    if (!/^\d{1,10}$/.test(text)) throw udfError('UDF_ERR_BAD_TILE', `tile ${name} must be a whole number >= 0, got "${text}"`);
    return Number(text);
  };
  const tile = { x: parse('x', x as string), y: parse('y', y as string), z: parse('z', z as string) };
  assertValidTile(tile);
  return tile;
}

/** The tile's bounds in EPSG:4326 degrees. */
export function tileToBounds(tile: Tile): Bounds {
  const n = 2 ** tile.z;
  const lon = (x: number): number => (x / n) * 360 - 180;
  const lat = (y: number): number => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  return [lon(tile.x), lat(tile.y + 1), lon(tile.x + 1), lat(tile.y)];
}

/** The tile at zoom z that holds a point (lon, lat in degrees). */
export function pointToTile(lon: number, lat: number, z: number): Tile {
  const n = 2 ** z;
  const clampedLat = Math.max(-85.0511287798, Math.min(85.0511287798, lat));
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (clampedLat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return { x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)), z };
}
