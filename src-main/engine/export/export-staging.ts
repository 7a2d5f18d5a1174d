/**
 * The tiles an export has fetched so far, kept in the home (an SQLite file per archive path) so a
 * cancelled or failed export resumes from them, across engine restarts too. Tiles are kept per UDF
 * code, parameters and encoding: when any of those change, the kept tiles are dropped.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Tile } from '../../../src-shared/tiles.js';
import type { ArchiveTile } from './archive-input.js';
import { zoomSpans, type TileRange } from './tile-range.js';

export class ExportStaging {
  private readonly db: Database.Database;
  private readonly insertTile: Database.Statement;
  private readonly insertBlob: Database.Statement;
  private readonly selectBlob: Database.Statement;

  /** The staging of the archive at `out` under `root`, emptied first when it was made for another `identity`. */
  constructor(root: string, out: string, identity: string) {
    const dir = stagingFolder(root, out);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dir, 'tiles.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tiles (z INTEGER NOT NULL, x INTEGER NOT NULL, y INTEGER NOT NULL, hash TEXT, PRIMARY KEY (z, x, y)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;`);
    const kept = this.db.prepare("SELECT value FROM info WHERE name = 'identity'").pluck().get() as string | undefined;
    if (kept !== identity) {
      this.db.exec('DELETE FROM tiles; DELETE FROM blobs;');
      this.db.prepare("INSERT OR REPLACE INTO info (name, value) VALUES ('identity', ?)").run(identity);
    }
    this.insertTile = this.db.prepare('INSERT OR REPLACE INTO tiles (z, x, y, hash) VALUES (?, ?, ?, ?)');
    this.insertBlob = this.db.prepare('INSERT OR IGNORE INTO blobs (hash, data) VALUES (?, ?)');
    this.selectBlob = this.db.prepare('SELECT data FROM blobs WHERE hash = ?').pluck();
  }

  /** Keeps a fetched tile; null bytes for a tile that is empty (left out of the archive). */
  put(tile: Tile, bytes: Uint8Array | null): void {
    if (bytes === null) {
      this.insertTile.run(tile.z, tile.x, tile.y, null);
      return;
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    this.db.transaction(() => {
      this.insertBlob.run(hash, bytes);
      this.insertTile.run(tile.z, tile.x, tile.y, hash);
    })();
  }

  /** The bytes of a kept tile content. */
  read(hash: string): Uint8Array {
    const data = this.selectBlob.get(hash) as Buffer | undefined;
    if (!data) throw new Error(`the export's staging has no tile content ${hash}`);
    return data;
  }

  /** The bytes of a kept tile, null when it is empty or not kept. */
  tileBytes(tile: Tile): Uint8Array | null {
    const hash = this.db.prepare('SELECT hash FROM tiles WHERE z = ? AND x = ? AND y = ?').pluck().get(tile.z, tile.x, tile.y) as string | null | undefined;
    return hash ? this.read(hash) : null;
  }

  /** The kept tiles of a range, as `z/x/y` keys. */
  keptIn(range: TileRange): Set<string> {
    const keys = new Set<string>();
    for (const { z, x, y } of this.rowsIn(range)) keys.add(`${z}/${x}/${y}`);
    return keys;
  }

  /** The range's kept tiles that are not empty (what the archive holds), and how many are empty. */
  archiveTiles(range: TileRange): { tiles: ArchiveTile[]; empty: number } {
    const tiles: ArchiveTile[] = [];
    let empty = 0;
    for (const row of this.rowsIn(range)) {
      if (row.hash === null) empty += 1;
      else tiles.push({ z: row.z, x: row.x, y: row.y, hash: row.hash });
    }
    return { tiles, empty };
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private *rowsIn(range: TileRange): Generator<{ z: number; x: number; y: number; hash: string | null }> {
    const select = this.db.prepare('SELECT z, x, y, hash FROM tiles WHERE z = ? AND x BETWEEN ? AND ? AND y BETWEEN ? AND ?');
    for (const span of zoomSpans(range)) {
      yield* select.iterate(span.z, span.minX, span.maxX, span.minY, span.maxY) as IterableIterator<{ z: number; x: number; y: number; hash: string | null }>;
    }
  }
}

/**
 * How many tiles of a range the staging of `out` keeps for `identity`, without creating or
 * emptying anything (a plan only looks).
 */
export function keptCount(root: string, out: string, identity: string, range: TileRange): number {
  const file = join(stagingFolder(root, out), 'tiles.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const kept = db.prepare("SELECT value FROM info WHERE name = 'identity'").pluck().get() as string | undefined;
    if (kept !== identity) return 0;
    const count = db.prepare('SELECT COUNT(*) FROM tiles WHERE z = ? AND x BETWEEN ? AND ? AND y BETWEEN ? AND ?').pluck();
    return zoomSpans(range).reduce((sum, span) => sum + (count.get(span.z, span.minX, span.maxX, span.minY, span.maxY) as number), 0);
  } finally {
    db.close();
  }
}

/** The staging folder of the archive at `out` (an absolute path). */
export function stagingFolder(root: string, out: string): string {
  return join(root, createHash('sha256').update(out).digest('hex').slice(0, 24));
}

/** Removes an archive's staging once the archive holds every tile. */
export function removeStaging(root: string, out: string): void {
  rmSync(stagingFolder(root, out), { recursive: true, force: true });
}
