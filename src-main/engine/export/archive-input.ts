/**
 * What an archive writer is given: the non-empty tiles with the hash of their bytes, a way to read
 * those bytes, and the metadata both archive formats carry.
 */

import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { TileFormat } from '../../../src-shared/exports.js';
import type { Bounds } from '../../../src-shared/tiles.js';

const gzipAsync = promisify(gzip);

export interface ArchiveTile {
  z: number;
  x: number;
  y: number;
  /** The SHA-256 of the tile's bytes: equal tiles are stored once. */
  hash: string;
}

export interface VectorLayer {
  id: string;
  fields: Record<string, string>;
}

export interface ArchiveInput {
  tiles: readonly ArchiveTile[];
  /** The bytes of a tile with this hash, as the UDF's tile URL serves them. */
  read(hash: string): Uint8Array;
  tileFormat: TileFormat;
  name: string;
  description: string;
  bounds: Bounds;
  minZoom: number;
  maxZoom: number;
  /** MVT archives: the layers the tiles hold (TileJSON's `vector_layers`). */
  layers: VectorLayer[];
  /** More metadata to keep (the UDF's parameters, the generator). */
  extra: Record<string, unknown>;
}

export interface ArchiveWritten {
  bytes: number;
  /** Tiles addressed (each non-empty tile of the area once). */
  tiles: number;
  /** Distinct tile contents stored. */
  contents: number;
}

/** Vector tiles are stored gzipped in both archive formats (MBTiles by convention, PMTiles by its header). */
export async function storedBytes(format: TileFormat, bytes: Uint8Array): Promise<Buffer> {
  return format === 'mvt' ? gzipAsync(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The centre of the bounds, at the lowest zoom. */
export function centerOf(input: Pick<ArchiveInput, 'bounds' | 'minZoom'>): [number, number, number] {
  const [west, south, east, north] = input.bounds;
  return [(west + east) / 2, (south + north) / 2, input.minZoom];
}

/** The TileJSON format name of a tile encoding (MBTiles' and PMTiles' metadata use it). */
export function formatName(format: TileFormat): string {
  return format === 'mvt' ? 'pbf' : format === 'jpeg' ? 'jpg' : format;
}
