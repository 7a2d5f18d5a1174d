import { beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { UdfStudioError } from '../../../src-shared/errors.js';
import { Engine } from '../../../src-main/engine/engine.js';
import { openDatabase, SERVING_BUSY_TIMEOUT_MS } from '../../../src-main/engine/store/database.js';
import { homeForEachTest } from '../../helpers/test-home.js';

const home = homeForEachTest();
let path: string;
beforeEach(() => {
  path = join(home.root, 'udf-studio.sqlite');
});

function codeOf(action: () => unknown): UdfStudioError {
  try {
    action();
  } catch (error) {
    if (error instanceof UdfStudioError) return error;
    throw new Error(`expected a coded error, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an error');
}

/** A database whose first page is intact (so it opens) but whose table pages are overwritten. */
function damagePages(file: string): void {
  const pageSize = readFileSync(file).readUInt16BE(16);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize * 4, 0xa5), 0, pageSize * 4, pageSize);
  } finally {
    closeSync(fd);
  }
}

describe('the engine database', () => {
  it('#13: a file that is not a database is UDF_ERR_DATABASE_CORRUPT naming the file and how to recover', () => {
    writeFileSync(path, Buffer.alloc(8192, 0x42));
    const error = codeOf(() => openDatabase(path));
    expect(error.code).toBe('UDF_ERR_DATABASE_CORRUPT');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/mv ".*udf-studio\.sqlite" ".*udf-studio\.sqlite\.broken"/);
    expect(error.message).toMatch(/the result cache is only a cache/);
  });

  it('#13: an index with damaged pages stops the engine with UDF_ERR_DATABASE_CORRUPT, not a raw SQLite error', async () => {
    const db = openDatabase(path);
    const insert = db.prepare(`INSERT INTO cache_entries (key, udf_id, code_key, format, content_type, kind, empty, size, sha256, stdout, stderr, duration_ms, created_at, last_access)
      VALUES (?, 'u', 'c', 'json', 'application/json', 'json', 0, 1, 'x', ?, '', 1, 0, 0)`);
    db.transaction(() => {
      for (let i = 0; i < 400; i++) insert.run(`key-${i}`, 'printed '.repeat(40));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    damagePages(path);
    const opened = Engine.open({ env: home.env, poolSize: 1, preload: [] });
    await expect(opened).rejects.toMatchObject({ code: 'UDF_ERR_DATABASE_CORRUPT', message: expect.stringContaining('.broken') as unknown });
  });

  it('#14: the database and its WAL are owner-only, also when an older version left them readable', () => {
    openDatabase(path).close();
    chmodSync(path, 0o644);
    const db = openDatabase(path);
    try {
      db.prepare("INSERT INTO udf_ids (dir, id) VALUES ('/a', 'id-a')").run();
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(file), file).toBe(true);
        expect(statSync(file).mode & 0o777, file).toBe(0o600);
      }
    } finally {
      db.close();
    }
    const fresh = join(home.root, 'fresh', 'new.sqlite');
    openDatabase(fresh).close();
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.root, 'fresh')).mode & 0o777).toBe(0o700);
  });

  it('#2: once open, the engine\'s statements wait for another process\'s write lock a few milliseconds at most', async () => {
    const engine = await Engine.open({ env: home.env, poolSize: 1, preload: [] });
    try {
      // better-sqlite3 waits on the event loop: the engine's wait must stay this short.
      expect(engine.db.pragma('busy_timeout', { simple: true })).toBe(SERVING_BUSY_TIMEOUT_MS);
      expect(SERVING_BUSY_TIMEOUT_MS).toBeLessThanOrEqual(10);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
