/**
 * The engine's SQLite database (better-sqlite3, WAL): shared tokens, the result cache's index, the
 * stable ids of local UDFs, and what was last synced with each remote engine.
 *
 * better-sqlite3 is synchronous and the engine is one process, so every write goes through this one
 * connection: SQLite sees a single writer.
 */

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

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
];

/** Opens (creating and migrating) the database at `path`; ':memory:' for a throw-away one. */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
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
