/**
 * A Mapbox Vector Tile decoded into a GeoJSON FeatureCollection in degrees, so the window draws an
 * archive's vector tiles as it draws a tile UDF's (which it asks for as GeoJSON).
 */

import type { Tile } from '../../../src-shared/tiles.js';
import { fields, packed } from './protobuf.js';

type Position = [number, number];

interface GeoJsonFeature {
  type: 'Feature';
  id?: number;
  properties: Record<string, unknown>;
  geometry: { type: string; coordinates: unknown };
}

const MOVE_TO = 1;
const LINE_TO = 2;
const CLOSE_PATH = 7;
const DEFAULT_EXTENT = 4096;

/** Every feature of every layer, with a `layer` property naming its layer. */
export function mvtToGeoJson(bytes: Uint8Array, tile: Tile): { type: 'FeatureCollection'; features: GeoJsonFeature[] } {
  const features: GeoJsonFeature[] = [];
  for (const field of fields(bytes)) if (field.number === 3 && field.bytes) features.push(...layerFeatures(field.bytes, tile));
  return { type: 'FeatureCollection', features };
}

function layerFeatures(bytes: Uint8Array, tile: Tile): GeoJsonFeature[] {
  let name = '';
  let extent = DEFAULT_EXTENT;
  const keys: string[] = [];
  const values: unknown[] = [];
  const raw: Uint8Array[] = [];
  for (const field of fields(bytes)) {
    if (field.number === 1 && field.bytes) name = Buffer.from(field.bytes).toString('utf8');
    else if (field.number === 5 && field.value !== null) extent = field.value;
    else if (field.number === 3 && field.bytes) keys.push(Buffer.from(field.bytes).toString('utf8'));
    else if (field.number === 4 && field.bytes) values.push(valueOf(field.bytes));
    else if (field.number === 2 && field.bytes) raw.push(field.bytes);
  }
  const toDegrees = projector(tile, extent);
  return raw.flatMap((feature) => {
    let id: number | undefined;
    let type = 0;
    let tags: number[] = [];
    let commands: number[] = [];
    for (const field of fields(feature)) {
      if (field.number === 1 && field.value !== null) id = field.value;
      else if (field.number === 3 && field.value !== null) type = field.value;
      else if (field.number === 2 && field.bytes) tags = packed(field.bytes);
      else if (field.number === 4 && field.bytes) commands = packed(field.bytes);
    }
    const geometry = geometryOf(type, paths(commands).map((path) => path.map(toDegrees)));
    if (!geometry) return [];
    const properties: Record<string, unknown> = { layer: name };
    for (let i = 0; i + 1 < tags.length; i += 2) properties[keys[tags[i] as number] ?? `key${tags[i]}`] = values[tags[i + 1] as number];
    return [{ type: 'Feature', ...(id === undefined ? {} : { id }), properties, geometry }];
  });
}

/** The command stream as paths of tile coordinates; a closed path repeats its first point. */
function paths(commands: number[]): Position[][] {
  const result: Position[][] = [];
  let current: Position[] = [];
  let x = 0;
  let y = 0;
  for (let i = 0; i < commands.length;) {
    const command = commands[i++] as number;
    const id = command & 0x7;
    const count = command >> 3;
    if (id === CLOSE_PATH) {
      if (current[0]) current.push(current[0]);
      continue;
    }
    for (let n = 0; n < count && i + 1 < commands.length; n += 1) {
      x += zigzag(commands[i++] as number);
      y += zigzag(commands[i++] as number);
      if (id === MOVE_TO) {
        if (current.length) result.push(current);
        current = [];
      }
      if (id === MOVE_TO || id === LINE_TO) current.push([x, y]);
    }
  }
  if (current.length) result.push(current);
  return result;
}

/** Points, lines, or polygons (an exterior ring, by its winding, starts a new polygon). */
function geometryOf(type: number, parts: Position[][]): GeoJsonFeature['geometry'] | null {
  if (parts.length === 0) return null;
  if (type === 1) {
    const points = parts.flat();
    return points.length === 1 ? { type: 'Point', coordinates: points[0] } : { type: 'MultiPoint', coordinates: points };
  }
  if (type === 2) return parts.length === 1 ? { type: 'LineString', coordinates: parts[0] } : { type: 'MultiLineString', coordinates: parts };
  if (type !== 3) return null;
  const polygons: Position[][][] = [];
  for (const ring of parts) {
    // An exterior ring has a positive area in tile coordinates (y down), so a negative one in degrees.
    if (signedArea(ring) < 0 || polygons.length === 0) polygons.push([ring]);
    else polygons[polygons.length - 1]?.push(ring);
  }
  return polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons };
}

function signedArea(ring: Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i += 1) {
    const [x1, y1] = ring[i] as Position;
    const [x2, y2] = ring[i + 1] as Position;
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

function projector(tile: Tile, extent: number): (point: Position) => Position {
  const n = 2 ** tile.z;
  return ([x, y]) => {
    const lon = ((tile.x + x / extent) / n) * 360 - 180;
    const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * (tile.y + y / extent)) / n))) * 180) / Math.PI;
    return [lon, lat];
  };
}

function zigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** An MVT Value: 1 string, 2 float, 3 double, 4 int, 5 uint, 6 sint, 7 bool. */
function valueOf(bytes: Uint8Array): unknown {
  for (const field of fields(bytes)) {
    if (field.number === 1 && field.bytes) return Buffer.from(field.bytes).toString('utf8');
    if (field.number === 2 && field.bytes) return Buffer.from(field.bytes).readFloatLE(0);
    if (field.number === 3 && field.bytes) return Buffer.from(field.bytes).readDoubleLE(0);
    if ((field.number === 4 || field.number === 5) && field.value !== null) return field.value;
    if (field.number === 6 && field.value !== null) return zigzag(field.value);
    if (field.number === 7 && field.value !== null) return field.value === 1;
  }
  return null;
}
