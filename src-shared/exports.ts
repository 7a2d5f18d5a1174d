/**
 * Tile archives baked from a tile UDF (`udf-studio export`, `POST /api/exports`, the Export dialog)
 * and archives served from the workspace, as the engine, the CLI and the window see them.
 */

import type { ErrorData } from './errors.js';
import type { Bounds } from './tiles.js';

export const ARCHIVE_FORMATS = ['pmtiles', 'mbtiles'] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/** The tile encodings an archive can hold (one per archive). */
export const TILE_FORMATS = ['mvt', 'png', 'jpeg', 'webp'] as const;
export type TileFormat = (typeof TILE_FORMATS)[number];

/** Areas of more tiles than this need a confirmation (`--force`, `"force": true`). */
export const EXPORT_TILE_LIMIT = 10_000;
/** The deepest zoom an export takes. */
export const MAX_EXPORT_ZOOM = 24;
/** Web Mercator's latitude limit: tiles cover nothing beyond it. */
export const MAX_EXPORT_LATITUDE = 85.0511;

/** An export as clients ask for it; the engine checks every field (UDF_ERR_EXPORT_*). */
export interface ExportRequest {
  udf: string;
  bbox: Bounds;
  minZoom: number;
  maxZoom: number;
  /** The archive's path: absolute, or relative to the engine's working folder; `.pmtiles` or `.mbtiles`. */
  out: string;
  /** Parameters every tile gets, as on a tile URL's query. */
  params?: Record<string, string>;
  /** The tiles' encoding; by default mvt for vector tile UDFs, png for raster ones. */
  tileFormat?: TileFormat;
  /** Runs every tile, even those the result cache holds. */
  noCache?: boolean;
  /** Confirms an area over {@link EXPORT_TILE_LIMIT} tiles. */
  force?: boolean;
}

/** What an export will do, answered before it starts. */
export interface ExportPlan {
  udf: string;
  out: string;
  format: ArchiveFormat;
  tileFormat: TileFormat;
  bbox: Bounds;
  minZoom: number;
  maxZoom: number;
  /** Every tile of the area. */
  tiles: number;
  perZoom: Array<{ z: number; tiles: number }>;
  /** Tiles an earlier, unfinished export of the same area kept (they are not fetched again). */
  kept: number;
  /** Tiles the result cache holds (cheap to fetch). */
  cached: number;
  /** Seconds and bytes, from the UDF's recent tile timings and sizes; null when nothing is known yet. */
  estimate: { seconds: number | null; bytes: number | null; basis: string };
  limit: number;
  /** The area is over the limit and the request did not confirm it. */
  needsForce: boolean;
}

export interface TileFailure {
  z: number;
  x: number;
  y: number;
  error: ErrorData;
}

/** An export job's state, carried by its job summary (the Jobs view, the CLI's progress). */
export interface ExportState {
  out: string;
  format: ArchiveFormat;
  tileFormat: TileFormat;
  /** fetching → writing → written; or cancelled (resumable), or failed (the archive could not be written). */
  state: 'fetching' | 'writing' | 'written' | 'cancelled' | 'failed';
  /** Every tile of the area, and those kept from an earlier run of it. */
  tiles: number;
  kept: number;
  /** The tiles that failed this time (listed whole up to a limit); running the export again retries only them. */
  failed: TileFailure[];
  failedCount: number;
  /** Once written: the file's size, the tiles it holds (empty ones are left out) and distinct contents. */
  archive: { bytes: number; tiles: number; contents: number; empty: number } | null;
  error: ErrorData | null;
}

/** A tile archive found in a workspace folder, served as a tile source. */
export interface ArchiveSource {
  /** Its path relative to its workspace folder, with `/` separators: the name its URLs use. */
  name: string;
  format: ArchiveFormat;
  tileFormat: TileFormat;
  bounds: Bounds;
  minZoom: number;
  maxZoom: number;
  /** The vector layers' names (MVT archives). */
  layers: string[];
  bytes: number;
}
