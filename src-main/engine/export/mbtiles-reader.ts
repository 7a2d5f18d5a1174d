/**
 * Reads tiles and metadata from an MBTiles file (read-only SQLite), rows flipped back from TMS.
 */

import Database from 'better-sqlite3';
import { udfError } from '../../../src-shared/errors.js';
import type { TileFormat } from '../../../src-shared/exports.js';
import type { StoredTile } from './pmtiles-reader.js';

const FORMATS: Record<string, TileFormat> = { pbf: 'mvt', mvt: 'mvt', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp' };

export class MbtilesReader {
  private readonly select: Database.Statement;

  private constructor(private readonly db: Database.Database, readonly metadata: Record<string, string>) {
    this.select = db.prepare('SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?').pluck();
  }

  static open(path: string): MbtilesReader {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw udfError('UDF_ERR_ARCHIVE', `cannot open the MBTiles file ${path}: ${(error as Error).message}`);
    }
    try {
      const rows = db.prepare('SELECT name, value FROM metadata').all() as Array<{ name: string; value: string }>;
      return new MbtilesReader(db, Object.fromEntries(rows.map((row) => [row.name, row.value])));
    } catch (error) {
      db.close();
      throw udfError('UDF_ERR_ARCHIVE', `${path} is not an MBTiles file (${(error as Error).message})`);
    }
  }

  get tileFormat(): TileFormat | null {
    return FORMATS[(this.metadata.format ?? '').toLowerCase()] ?? null;
  }

  tile(z: number, x: number, y: number): StoredTile | null {
    const data = this.select.get(z, x, 2 ** z - 1 - y) as Buffer | undefined;
    if (!data) return null;
    // Vector tiles in MBTiles are gzipped by convention, but not always: look at the bytes.
    return { bytes: data, gzipped: data[0] === 0x1f && data[1] === 0x8b };
  }

  close(): void {
    this.db.close();
  }
}
