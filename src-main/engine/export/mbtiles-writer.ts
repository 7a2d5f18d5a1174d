/**
 * Writes an MBTiles 1.3 file (an SQLite database): the `metadata` table, and the tiles as the
 * `tiles` view over `map` (each tile's position, rows flipped as TMS counts them from the south)
 * and `images` (each distinct tile once), as MBTiles allows for deduplicated tiles.
 */

import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { centerOf, formatName, storedBytes, type ArchiveInput, type ArchiveWritten } from './archive-input.js';

/** Rows inserted per transaction. */
const BATCH = 500;

/** Writes `input` to a new file at `path` (which must not exist). */
export async function writeMbtiles(path: string, input: ArchiveInput): Promise<ArchiveWritten> {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(`CREATE TABLE metadata (name TEXT, value TEXT);
      CREATE UNIQUE INDEX metadata_name ON metadata (name);
      CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
      CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
      CREATE TABLE images (tile_id TEXT PRIMARY KEY, tile_data BLOB);
      CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row,
        images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id;`);
    const addMetadata = db.prepare('INSERT INTO metadata (name, value) VALUES (?, ?)');
    db.transaction(() => {
      for (const [name, value] of Object.entries(metadataOf(input))) addMetadata.run(name, value);
    })();
    const addTile = db.prepare('INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?, ?, ?, ?)');
    const addImage = db.prepare('INSERT INTO images (tile_id, tile_data) VALUES (?, ?)');
    const stored = new Set<string>();
    for (let i = 0; i < input.tiles.length; i += BATCH) {
      const batch = input.tiles.slice(i, i + BATCH);
      const images: Array<[string, Buffer]> = [];
      for (const tile of batch) {
        if (stored.has(tile.hash)) continue;
        stored.add(tile.hash);
        images.push([tile.hash, await storedBytes(input.tileFormat, input.read(tile.hash))]);
      }
      db.transaction(() => {
        for (const [hash, bytes] of images) addImage.run(hash, bytes);
        for (const tile of batch) addTile.run(tile.z, tile.x, 2 ** tile.z - 1 - tile.y, tile.hash);
      })();
    }
  } finally {
    db.close();
  }
  return { bytes: statSync(path).size, tiles: input.tiles.length, contents: new Set(input.tiles.map((tile) => tile.hash)).size };
}

function metadataOf(input: ArchiveInput): Record<string, string> {
  const [lon, lat, zoom] = centerOf(input);
  return {
    name: input.name,
    description: input.description,
    format: formatName(input.tileFormat),
    type: 'overlay',
    version: '1',
    bounds: input.bounds.join(','),
    center: `${lon},${lat},${zoom}`,
    minzoom: String(input.minZoom),
    maxzoom: String(input.maxZoom),
    // MBTiles keeps TileJSON's vector_layers (and anything else) in one `json` row.
    json: JSON.stringify({ ...(input.tileFormat === 'mvt' ? { vector_layers: input.layers } : {}), ...input.extra }),
  };
}
