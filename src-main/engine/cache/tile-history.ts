/**
 * What the result cache's index knows about a UDF's tiles: how long they took and how large they
 * were (recent entries), and how many tiles of an area it holds. Export estimates read it.
 */

import type { Db } from '../store/database.js';

/** Recent entries an estimate looks at. */
const RECENT_ENTRIES = 200;

export interface TileTimings {
  /** Entries looked at. */
  samples: number;
  /** The median time a tile took to run (ms). */
  medianMs: number;
  /** The mean size of the non-empty tiles (bytes), null when every one was empty. */
  meanBytes: number | null;
  /** The share of the tiles that were empty. */
  emptyShare: number;
}

/** Timings of the UDF's latest cached tiles in `format` for this code; null when there are none. */
export function tileTimings(db: Db, udfId: string, codeKey: string, format: string): TileTimings | null {
  const rows = db.prepare(`SELECT duration_ms AS ms, size, empty FROM cache_entries
    WHERE udf_id = ? AND code_key = ? AND format = ? AND tile_z IS NOT NULL ORDER BY created_at DESC LIMIT ${RECENT_ENTRIES}`)
    .all(udfId, codeKey, format) as Array<{ ms: number; size: number; empty: number }>;
  if (rows.length === 0) return null;
  const times = rows.map((row) => row.ms).sort((a, b) => a - b);
  const full = rows.filter((row) => !row.empty);
  return {
    samples: rows.length,
    medianMs: times[Math.floor(times.length / 2)] as number,
    meanBytes: full.length ? full.reduce((sum, row) => sum + row.size, 0) / full.length : null,
    emptyShare: (rows.length - full.length) / rows.length,
  };
}

/** Cached tiles of this code in `format` within columns and rows of zoom z (any parameters). */
export function cachedTileCount(db: Db, udfId: string, codeKey: string, format: string, span: { z: number; minX: number; maxX: number; minY: number; maxY: number }): number {
  return db.prepare(`SELECT COUNT(DISTINCT tile_x || '/' || tile_y) FROM cache_entries
    WHERE udf_id = ? AND tile_z = ? AND code_key = ? AND format = ? AND tile_x BETWEEN ? AND ? AND tile_y BETWEEN ? AND ?`)
    .pluck().get(udfId, span.z, codeKey, format, span.minX, span.maxX, span.minY, span.maxY) as number;
}
