/**
 * The result cache: encoded run results as files under the home's `cache/`, indexed in SQLite, with
 * a memory tier in front so a hot tile is answered without touching Python or the disk.
 *
 * Writes are atomic (temp file, rename, then the index row), and every read from disk checks the
 * size and SHA-256 recorded in the index, so a write cut short by `kill -9` (or a power cut, which
 * is why no fsync is needed on the request path) is never served; opening the cache removes what
 * such a write left behind.
 *
 * The cache is only a cache: a write that fails (disk full, the index locked by another process)
 * or a read that fails is reported as a storage problem and the run goes on uncached; nothing here
 * throws into a run. Files are owner-only, as they hold results and printed output.
 */

import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StorageProblemData } from '../../../src-shared/app-api.js';
import type { ErrorData } from '../../../src-shared/errors.js';
import type { Format, ResultKind } from '../../../src-shared/formats.js';
import type { Tile } from '../../../src-shared/tiles.js';
import { isCorruption, type Db } from '../store/database.js';
import { MemoryTier } from './memory-tier.js';
import { capOutput } from './stored-output.js';

export const DEFAULT_CACHE_CAP_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MEMORY_TIER_BYTES = 128 * 1024 ** 2;
/** Hits update `last_access` in batches, at most this often. */
const ACCESS_FLUSH_MS = 1_000;
const EVICTION_BATCH = 64;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** The index's measure of an entry: its body and its stored output. */
const FOOTPRINT = 'size + output_bytes';

/** A cached result, as the server needs it to answer. */
export interface CacheEntry {
  key: string;
  udfId: string;
  codeKey: string;
  tile: Tile | null;
  format: Format;
  contentType: string;
  kind: ResultKind;
  empty: boolean;
  /** The UDF's own max age in seconds, learned when it ran (null when it sets none). */
  udfMaxAge: number | null;
  sha256: string;
  stdout: string;
  stderr: string;
  durationMs: number;
  createdAt: number;
  body: Buffer;
  /** The body's bytes. */
  size: number;
  /** What the entry costs the cache: the body plus the stored stdout and stderr, in bytes. */
  footprint: number;
}

export type NewCacheEntry = Omit<CacheEntry, 'sha256' | 'createdAt' | 'size' | 'footprint'>;

/** A storage fault the cache is living with: writes (or reads) fail and runs go uncached. */
export type StorageProblem = StorageProblemData;

/** What `put` did: stored the entry, or could not (the run is then answered uncached). */
export type CacheWrite = { stored: true; entry: CacheEntry } | { stored: false; error: ErrorData };

/** Where a test pauses a write to kill the process inside it (`UDF_STUDIO_TEST_PAUSE_CACHE_WRITE`). */
export type WriteStage = 'partial' | 'renamed';

export interface CacheStats {
  entries: number;
  bytes: number;
  capBytes: number;
  memory: { entries: number; bytes: number };
  byUdf: Array<{ udfId: string; entries: number; bytes: number }>;
  /** Why writes are failing, while they are. */
  problem: StorageProblem | null;
}

export interface ResultCacheOptions {
  capBytes?: number;
  memoryBytes?: number;
  now?: () => number;
  /** Told when a storage problem starts, changes or ends (null). */
  onProblem?: (problem: StorageProblem | null, previous: StorageProblem | null) => void;
  /** A test hook: called inside a write, at each stage, so a test can kill the process there. */
  pauseWrite?: (stage: WriteStage) => void;
}

interface Row {
  key: string;
  udf_id: string;
  code_key: string;
  tile_z: number | null;
  tile_x: number | null;
  tile_y: number | null;
  format: string;
  content_type: string;
  kind: string;
  empty: number;
  udf_max_age: number | null;
  size: number;
  output_bytes: number;
  sha256: string;
  stdout: string;
  stderr: string;
  duration_ms: number;
  created_at: number;
  last_access: number;
}

export class ResultCache {
  readonly capBytes: number;
  private readonly memory: MemoryTier<CacheEntry>;
  private readonly now: () => number;
  private readonly accessed = new Set<string>();
  private accessTimer: NodeJS.Timeout | null = null;
  private totalBytes: number;
  private readonly statements;
  private problem: StorageProblem | null = null;
  private readonly onProblem: NonNullable<ResultCacheOptions['onProblem']>;
  private readonly pauseWrite: ResultCacheOptions['pauseWrite'];

  constructor(private readonly db: Db, private readonly dir: string, options: ResultCacheOptions = {}) {
    this.capBytes = options.capBytes ?? DEFAULT_CACHE_CAP_BYTES;
    this.memory = new MemoryTier(options.memoryBytes ?? DEFAULT_MEMORY_TIER_BYTES);
    this.now = options.now ?? Date.now;
    this.onProblem = options.onProblem ?? (() => {});
    this.pauseWrite = options.pauseWrite;
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    restrict(dir, statSync(dir).mode, DIR_MODE);
    this.statements = {
      get: db.prepare('SELECT * FROM cache_entries WHERE key = ?'),
      insert: db.prepare(`INSERT OR REPLACE INTO cache_entries
        (key, udf_id, code_key, tile_z, tile_x, tile_y, format, content_type, kind, empty, udf_max_age, size, output_bytes, sha256, stdout, stderr, duration_ms, created_at, last_access)
        VALUES (@key, @udf_id, @code_key, @tile_z, @tile_x, @tile_y, @format, @content_type, @kind, @empty, @udf_max_age, @size, @output_bytes, @sha256, @stdout, @stderr, @duration_ms, @created_at, @last_access)`),
      delete: db.prepare('DELETE FROM cache_entries WHERE key = ?'),
      touch: db.prepare('UPDATE cache_entries SET last_access = ? WHERE key = ?'),
      oldest: db.prepare(`SELECT key, ${FOOTPRINT} AS size FROM cache_entries ORDER BY last_access LIMIT ?`),
      total: db.prepare(`SELECT COALESCE(SUM(${FOOTPRINT}), 0) AS bytes FROM cache_entries`),
    };
    this.repair();
    this.totalBytes = (this.statements.total.get() as { bytes: number }).bytes;
  }

  /** Why the cache is not storing results, or null while it is. */
  get storageProblem(): StorageProblem | null {
    return this.problem;
  }

  /**
   * The entry for `key` if it is younger than the max age: the call's (`callMaxAge` seconds), else
   * the UDF's own, else `defaultMaxAge`. An expired or damaged entry is removed and reads as a miss.
   */
  get(key: string, callMaxAge: number | null, defaultMaxAge: number): CacheEntry | null {
    try {
      return this.lookUp(key, callMaxAge, defaultMaxAge);
    } catch (error) {
      this.fail(error, 'read');
      return null;
    }
  }

  private lookUp(key: string, callMaxAge: number | null, defaultMaxAge: number): CacheEntry | null {
    let entry = this.memory.get(key) ?? null;
    if (!entry) {
      entry = this.readFromDisk(key);
      if (!entry) return null;
      this.memory.set(key, entry);
    }
    const maxAge = callMaxAge ?? entry.udfMaxAge ?? defaultMaxAge;
    if (this.now() - entry.createdAt > maxAge * 1000) {
      // Too old for this call; only drop it when it is too old for the UDF's own max age as well.
      if (this.now() - entry.createdAt > (entry.udfMaxAge ?? defaultMaxAge) * 1000) this.guarded('write', () => this.remove(key));
      return null;
    }
    this.noteAccess(key);
    return entry;
  }

  /**
   * Stores a result; the file is complete on disk before the index names it. Printed output is
   * kept up to a cap and counts towards the cache's size. A write that fails leaves nothing behind
   * and is reported (see `storageProblem`), never thrown.
   */
  put(fields: NewCacheEntry): CacheWrite {
    const body = fields.body;
    const stdout = capOutput(fields.stdout);
    const stderr = capOutput(fields.stderr);
    const outputBytes = Buffer.byteLength(stdout) + Buffer.byteLength(stderr);
    const entry: CacheEntry = { ...fields, stdout, stderr, sha256: sha256(body), createdAt: this.now(), size: body.length, footprint: body.length + outputBytes };
    const folder = join(this.dir, entry.key.slice(0, 2));
    const final = join(folder, entry.key);
    const temporary = `${final}.${process.pid}.tmp`;
    let previous: Row | undefined;
    try {
      mkdirSync(folder, { recursive: true, mode: DIR_MODE });
      this.writeBody(temporary, body);
      renameSync(temporary, final);
      this.pauseWrite?.('renamed');
      previous = this.statements.get.get(entry.key) as Row | undefined;
      this.statements.insert.run({
        key: entry.key, udf_id: entry.udfId, code_key: entry.codeKey,
        tile_z: entry.tile?.z ?? null, tile_x: entry.tile?.x ?? null, tile_y: entry.tile?.y ?? null,
        format: entry.format, content_type: entry.contentType, kind: entry.kind, empty: entry.empty ? 1 : 0,
        udf_max_age: entry.udfMaxAge, size: entry.size, output_bytes: outputBytes, sha256: entry.sha256, stdout, stderr,
        duration_ms: entry.durationMs, created_at: entry.createdAt, last_access: entry.createdAt,
      });
    } catch (error) {
      // Nothing half-written stays: a file the index does not name (or names with another hash) is never served anyway.
      removeQuietly(temporary);
      removeQuietly(final);
      this.memory.delete(entry.key);
      return { stored: false, error: this.fail(error, 'write') };
    }
    this.totalBytes += entry.footprint - (previous ? previous.size + previous.output_bytes : 0);
    this.memory.set(entry.key, entry);
    this.recovered();
    this.guarded('write', () => this.evict());
    return { stored: true, entry };
  }

  /**
   * Records a failure of the cache's storage and returns it as an error. Also for callers whose
   * own bookkeeping for a write failed (the engine's UDF ids live in the same database).
   */
  fail(error: unknown, operation: 'read' | 'write'): ErrorData {
    const data: ErrorData = { code: 'UDF_ERR_CACHE_WRITE', message: describeStorageFailure(error, operation, this.dir) };
    const previous = this.problem;
    this.problem = {
      ...data,
      since: previous?.since ?? new Date(this.now()).toISOString(),
      failures: (previous?.failures ?? 0) + 1,
    };
    if (previous?.message !== data.message) this.onProblem(this.problem, previous);
    return data;
  }

  /** Removes every entry of a UDF, or only its entries for one tile. Returns how many went. */
  invalidate(udfId: string, tile: Tile | null = null): number {
    const rows = tile
      ? this.db.prepare(`SELECT key, ${FOOTPRINT} AS size FROM cache_entries WHERE udf_id = ? AND tile_z = ? AND tile_x = ? AND tile_y = ?`).all(udfId, tile.z, tile.x, tile.y)
      : this.db.prepare(`SELECT key, ${FOOTPRINT} AS size FROM cache_entries WHERE udf_id = ?`).all(udfId);
    this.removeRows(rows as Array<{ key: string; size: number }>);
    this.memory.deleteWhere((entry) => entry.udfId === udfId && (!tile || (entry.tile?.z === tile.z && entry.tile.x === tile.x && entry.tile.y === tile.y)));
    return rows.length;
  }

  /** Removes a UDF's entries made by other versions of its code (they can no longer be reached). */
  removeOtherVersions(udfId: string, codeKey: string): number {
    const rows = this.db.prepare(`SELECT key, ${FOOTPRINT} AS size FROM cache_entries WHERE udf_id = ? AND code_key != ?`).all(udfId, codeKey) as Array<{ key: string; size: number }>;
    this.removeRows(rows);
    this.memory.deleteWhere((entry) => entry.udfId === udfId && entry.codeKey !== codeKey);
    return rows.length;
  }

  /** Empties the cache. */
  clear(): number {
    const rows = this.db.prepare(`SELECT key, ${FOOTPRINT} AS size FROM cache_entries`).all() as Array<{ key: string; size: number }>;
    this.removeRows(rows);
    this.memory.clear();
    return rows.length;
  }

  stats(): CacheStats {
    const byUdf = this.db.prepare(`SELECT udf_id AS udfId, COUNT(*) AS entries, SUM(${FOOTPRINT}) AS bytes FROM cache_entries GROUP BY udf_id ORDER BY bytes DESC`).all() as CacheStats['byUdf'];
    return {
      entries: byUdf.reduce((sum, row) => sum + row.entries, 0),
      bytes: this.totalBytes,
      capBytes: this.capBytes,
      memory: this.memory.size,
      byUdf,
      problem: this.problem,
    };
  }

  /** Writes pending access times (best effort: they only order eviction); call before closing the database. */
  flush(): void {
    if (this.accessTimer) clearTimeout(this.accessTimer);
    this.accessTimer = null;
    if (this.accessed.size === 0) return;
    const now = this.now();
    const keys = [...this.accessed];
    this.accessed.clear();
    this.guarded('write', () => this.db.transaction(() => {
      for (const key of keys) this.statements.touch.run(now, key);
    })());
  }

  /** Runs cache upkeep that must never fail a run or a timer: a failure is reported instead. */
  guarded(operation: 'read' | 'write', work: () => void): void {
    try {
      work();
    } catch (error) {
      this.fail(error, operation);
    }
  }

  private recovered(): void {
    const previous = this.problem;
    if (!previous) return;
    this.problem = null;
    this.onProblem(null, previous);
  }

  /** The body into a temporary file, owner-only; a test's pause hook may stop it half-way. */
  private writeBody(temporary: string, body: Buffer): void {
    if (!this.pauseWrite) {
      writeFileSync(temporary, body, { mode: FILE_MODE });
      return;
    }
    const half = Math.floor(body.length / 2);
    writeFileSync(temporary, body.subarray(0, half), { mode: FILE_MODE });
    this.pauseWrite('partial');
    appendFileSync(temporary, body.subarray(half));
  }

  private readFromDisk(key: string): CacheEntry | null {
    const row = this.statements.get.get(key) as Row | undefined;
    if (!row) return null;
    let body: Buffer;
    try {
      body = readFileSync(this.pathOf(key));
    } catch {
      this.guarded('write', () => this.remove(key));
      return null;
    }
    if (body.length !== row.size || sha256(body) !== row.sha256) {
      this.guarded('write', () => this.remove(key));
      return null;
    }
    return {
      key, udfId: row.udf_id, codeKey: row.code_key,
      tile: row.tile_z === null ? null : { z: row.tile_z, x: row.tile_x as number, y: row.tile_y as number },
      format: row.format as Format, contentType: row.content_type, kind: row.kind as ResultKind, empty: row.empty === 1,
      udfMaxAge: row.udf_max_age, sha256: row.sha256, stdout: row.stdout, stderr: row.stderr, durationMs: row.duration_ms,
      createdAt: row.created_at, body, size: row.size, footprint: row.size + row.output_bytes,
    };
  }

  private remove(key: string): void {
    const row = this.statements.get.get(key) as Row | undefined;
    this.removeRows(row ? [{ key, size: row.size + row.output_bytes }] : [{ key, size: 0 }]);
    this.memory.delete(key);
  }

  private removeRows(rows: Array<{ key: string; size: number }>): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      for (const row of rows) this.statements.delete.run(row.key);
    })();
    for (const row of rows) {
      rmSync(this.pathOf(row.key), { force: true });
      this.accessed.delete(row.key);
      this.totalBytes -= row.size;
    }
  }

  /** Least recently used entries go first until the cache is under its cap. */
  private evict(): void {
    while (this.totalBytes > this.capBytes) {
      this.flush();
      const victims = this.statements.oldest.all(EVICTION_BATCH) as Array<{ key: string; size: number }>;
      if (victims.length === 0) break;
      let freed = 0;
      const chosen: typeof victims = [];
      for (const victim of victims) {
        chosen.push(victim);
        freed += victim.size;
        if (this.totalBytes - freed <= this.capBytes) break;
      }
      this.removeRows(chosen);
      for (const victim of chosen) this.memory.delete(victim.key);
    }
  }

  private noteAccess(key: string): void {
    this.accessed.add(key);
    if (!this.accessTimer) {
      this.accessTimer = setTimeout(() => this.flush(), ACCESS_FLUSH_MS);
      this.accessTimer.unref();
    }
  }

  /**
   * Removes what an interrupted write left: temp files, files the index does not name, rows without
   * a whole file; and makes files an older version left readable by others owner-only.
   */
  private repair(): void {
    const known = new Map<string, number>();
    for (const row of this.db.prepare('SELECT key, size FROM cache_entries').iterate() as Iterable<{ key: string; size: number }>) known.set(row.key, row.size);
    const seen = new Set<string>();
    for (const folder of readdirSync(this.dir)) {
      const path = join(this.dir, folder);
      const folderStat = statSync(path);
      if (!folderStat.isDirectory()) continue;
      restrict(path, folderStat.mode, DIR_MODE);
      for (const name of readdirSync(path)) {
        const file = join(path, name);
        const stat = statSync(file);
        const size = known.get(name);
        if (size === undefined || stat.size !== size) {
          rmSync(file, { force: true });
          continue;
        }
        restrict(file, stat.mode, FILE_MODE);
        seen.add(name);
      }
    }
    const missing = [...known.keys()].filter((key) => !seen.has(key));
    // Rows whose file is gone are never served (reads check the file); dropping them can wait if the index is busy.
    if (missing.length > 0) {
      this.guarded('write', () => this.db.transaction(() => {
        for (const key of missing) this.statements.delete.run(key);
      })());
    }
  }

  private pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), key);
  }
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Makes a file or folder that others can read owner-only; one that cannot be changed (another owner's) is used as it is. */
function restrict(path: string, mode: number, wanted: number): void {
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(path, wanted);
  } catch {
    // Not ours to change: the cache still works, and doctor reports a home others can read.
  }
}

/** Removes a file if it is there; a path that cannot hold one (its folder is not a folder) is fine too. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing could have been written there either.
  }
}

/** Why a cache read or write failed, in words a user can act on. */
export function describeStorageFailure(error: unknown, operation: 'read' | 'write', dir: string): string {
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  const detail = error instanceof Error ? error.message : String(error);
  const what = operation === 'write' ? 'could not store a result' : 'could not read a result';
  let reason: string;
  if (['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL'].includes(code)) reason = `the disk is full or a file-size limit is reached (${code}) under ${dir}`;
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) reason = `another process holds the cache index's write lock (${code})`;
  else if (['EACCES', 'EPERM', 'EROFS'].includes(code) || code.startsWith('SQLITE_READONLY')) reason = `no permission to write under ${dir} (${code})`;
  else if (isCorruption(error)) reason = `the engine's database is damaged (${code}); move the database file aside and restart`;
  else reason = code ? `${code}: ${detail}` : detail;
  return `the result cache ${what}: ${reason}; runs are answered uncached until it can`;
}
