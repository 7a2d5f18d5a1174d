/**
 * The engine's SQLite database (better-sqlite3, WAL): shared tokens, the result cache's index, the
 * stable ids of local UDFs, and what was last synced with each remote engine.
 *
 * better-sqlite3 is synchronous and the engine is one process, so every write goes through this one
 * connection: SQLite sees a single writer.
 */

import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';

export type Db = Database.Database;

/**
 * How long the engine's statements wait for another process's write lock once the database is
 * open. better-sqlite3 waits synchronously, on the event loop, so this stays at a few milliseconds:
 * a cache write that cannot get the lock is skipped (the run is answered uncached), never waited for.
 */
export const SERVING_BUSY_TIMEOUT_MS = 5;
/** Opening and migrating, and one-shot commands that serve nothing, may wait longer for the lock. */
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** The database, its WAL and shared-memory files hold token metadata and printed output: owner only. */
const FILE_MODE = 0o600;

/** Each entry upgrades the schema by one version; never edit one that has shipped. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE shared_tokens (
     token_hash    TEXT PRIMARY KEY,
     token_prefix  TEXT NOT NULL,
     udf_slug      TEXT NOT NULL,
     udf_id        TEXT,
     udf_email     TEXT NOT NULL,
     enabled       INTEGER NOT NULL DEFAULT 1,
     public_read   INTEGER NOT NULL DEFAULT 0,
     access_scope  TEXT NOT NULL DEFAULT 'run',
     cache         INTEGER NOT NULL DEFAULT 1,
     metadata_json TEXT NOT NULL DEFAULT '{}',
     created_at    TEXT NOT NULL,
     last_updated  TEXT NOT NULL
   );
   CREATE INDEX shared_tokens_prefix ON shared_tokens (token_prefix);`,
  `CREATE TABLE cache_entries (
     key          TEXT PRIMARY KEY,
     udf_id       TEXT NOT NULL,
     code_key     TEXT NOT NULL,
     tile_z       INTEGER,
     tile_x       INTEGER,
     tile_y       INTEGER,
     format       TEXT NOT NULL,
     content_type TEXT NOT NULL,
     kind         TEXT NOT NULL,
     empty        INTEGER NOT NULL,
     udf_max_age  INTEGER,
     size         INTEGER NOT NULL,
     sha256       TEXT NOT NULL,
     stdout       TEXT NOT NULL,
     stderr       TEXT NOT NULL,
     duration_ms  REAL NOT NULL,
     created_at   INTEGER NOT NULL,
     last_access  INTEGER NOT NULL
   );
   CREATE INDEX cache_by_udf ON cache_entries (udf_id, code_key);
   CREATE INDEX cache_by_tile ON cache_entries (udf_id, tile_z, tile_x, tile_y);
   CREATE INDEX cache_by_access ON cache_entries (last_access);
   CREATE TABLE udf_ids (
     dir TEXT PRIMARY KEY,
     id  TEXT NOT NULL UNIQUE
   );`,
  `CREATE TABLE sync_state (
     remote       TEXT NOT NULL,
     udf_id       TEXT NOT NULL,
     name         TEXT NOT NULL,
     local_hash   TEXT NOT NULL,
     remote_hash  TEXT NOT NULL,
     synced_at    TEXT NOT NULL,
     PRIMARY KEY (remote, udf_id)
   );
   CREATE TABLE udf_engines (
     udf_name TEXT PRIMARY KEY,
     remote   TEXT NOT NULL
   );`,
  // Shared tokens keep their full value (listings show it, as Fused's do) and the client_id Fused's
  // client sends; tokens made before have only their hash and prefix, so `token` may be NULL.
  `ALTER TABLE shared_tokens ADD COLUMN token TEXT;
   ALTER TABLE shared_tokens ADD COLUMN client_id TEXT;`,
  // A cached result's printed output counts towards the cache's cap (issue 16, point 9).
  `ALTER TABLE cache_entries ADD COLUMN output_bytes INTEGER NOT NULL DEFAULT 0;
   UPDATE cache_entries SET output_bytes = length(CAST(stdout AS BLOB)) + length(CAST(stderr AS BLOB));`,
];

export interface OpenDatabaseOptions {
  /** The busy timeout once open (ms): SERVING_BUSY_TIMEOUT_MS for a process that serves requests. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating and migrating) the database at `path`; ':memory:' for a throw-away one. A file
 * that is not a database, or is damaged, is UDF_ERR_DATABASE_CORRUPT with what to do about it.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Made owner-only before SQLite creates it (an empty file is an empty database).
    closeSync(openSync(path, 'a', FILE_MODE));
  }
  let db: Db | null = null;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    if (options.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  } catch (error) {
    db?.close();
    if (isCorruption(error)) throw corruptDatabase(path, error as Error);
    throw error;
  }
  if (path !== ':memory:') restrictFiles(path);
  return db;
}

/** SQLite's codes for a file that is not a database or whose pages are damaged. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT_'));
}

/**
 * The coded error for a statement that found another process holding the database's write lock past
 * the short wait; null for any other error.
 */
export function busyDatabase(error: unknown): Error | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) return null;
  return udfError('UDF_ERR_DATABASE_BUSY', `another process holds the engine's database (${code}); try again in a moment`);
}

/** The coded error for a damaged database file, with the way out. */
export function corruptDatabase(path: string, cause: Error): Error {
  return udfError('UDF_ERR_DATABASE_CORRUPT', `the engine's database ${path} is damaged (${cause.message}). `
    + `Move it aside (mv "${path}" "${path}.broken") and start again: the result cache is only a cache and rebuilds itself; `
    + 'shared tokens and sync records kept in it must be made again (`udf-studio token create`, a push or pull).');
}

/** The database file and the WAL and shared-memory files SQLite made beside it, owner only. */
function restrictFiles(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file) || (statSync(file).mode & 0o077) === 0) continue;
    try {
      chmodSync(file, FILE_MODE);
    } catch {
      // Another user's file: used as it is (doctor reports a home others can read).
    }
  }
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database is from a newer UDF Studio (schema ${current}, this one knows ${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
