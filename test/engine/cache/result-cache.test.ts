import { beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultCache, type NewCacheEntry, type StorageProblem } from '../../../src-main/engine/cache/result-cache.js';
import { capOutput, MAX_STORED_OUTPUT_BYTES } from '../../../src-main/engine/cache/stored-output.js';
import { openDatabase, SERVING_BUSY_TIMEOUT_MS, type Db } from '../../../src-main/engine/store/database.js';
import { holdWriteLock } from '../../helpers/sqlite-lock.js';
import { homeForEachTest } from '../../helpers/test-home.js';

let db: Db;
const home = homeForEachTest({ cleanup: () => db.close() });
let clock: number;
const DAY = 86_400;

function entry(key: string, body: string, extra: Partial<NewCacheEntry> = {}): NewCacheEntry {
  return {
    key, udfId: 'udf-a', codeKey: 'code-1', tile: null, format: 'json', contentType: 'application/json', kind: 'json', empty: false,
    udfMaxAge: null, stdout: '', stderr: '', durationMs: 1, body: Buffer.from(body), ...extra,
  };
}

function open(options: { capBytes?: number; memoryBytes?: number; onProblem?: (problem: StorageProblem | null) => void } = {}): ResultCache {
  return new ResultCache(db, join(home.root, 'cache'), { ...options, now: () => clock });
}

beforeEach(() => {
  db = openDatabase(join(home.root, 'db.sqlite'), { busyTimeoutMs: SERVING_BUSY_TIMEOUT_MS }); // as the engine opens it
  clock = 1_000_000;
});

describe('result cache (real SQLite and files)', () => {
  it('returns what was stored, from memory and from disk', () => {
    const cache = open();
    cache.put(entry('k1', '{"a":1}', { stdout: 'printed' }));
    expect(cache.get('k1', null, DAY)?.body.toString()).toBe('{"a":1}');
    const reopened = open();
    const hit = reopened.get('k1', null, DAY);
    expect(hit?.body.toString()).toBe('{"a":1}');
    expect(hit?.stdout).toBe('printed');
    expect(reopened.get('missing', null, DAY)).toBeNull();
  });

  it('expires by the call max age, else the UDF max age, else the default', () => {
    const cache = open();
    cache.put(entry('plain', 'x'));
    cache.put(entry('short', 'y', { udfMaxAge: 60 }));
    clock += 120_000;
    expect(cache.get('plain', null, DAY)).not.toBeNull();
    expect(cache.get('plain', 60, DAY)).toBeNull();
    // Too old for this call, still fresh for others.
    expect(cache.get('plain', null, DAY)).not.toBeNull();
    expect(cache.get('short', null, DAY)).toBeNull();
    expect(cache.get('short', 3600, DAY)).toBeNull();
    clock += DAY * 1000;
    expect(cache.get('plain', null, DAY)).toBeNull();
    expect(cache.stats().entries).toBe(0);
  });

  it('evicts the least recently used entries past the size cap', () => {
    const cache = open({ capBytes: 300 });
    for (const key of ['a', 'b', 'c']) {
      cache.put(entry(key, key.repeat(100)));
      clock += 1000;
    }
    cache.get('a', null, DAY);
    clock += 1000;
    cache.put(entry('d', 'd'.repeat(100)));
    const reopened = open({ capBytes: 300 });
    expect(['a', 'b', 'c', 'd'].filter((key) => reopened.get(key, null, DAY))).toEqual(['a', 'c', 'd']);
    expect(reopened.stats().bytes).toBe(300);
  });

  it('invalidates one tile and leaves its neighbours, or a whole UDF', () => {
    const cache = open();
    cache.put(entry('t1', '1', { tile: { z: 3, x: 1, y: 2 } }));
    cache.put(entry('t2', '2', { tile: { z: 3, x: 2, y: 2 } }));
    cache.put(entry('other', '3', { udfId: 'udf-b', tile: { z: 3, x: 1, y: 2 } }));
    expect(cache.invalidate('udf-a', { z: 3, x: 1, y: 2 })).toBe(1);
    expect(cache.get('t1', null, DAY)).toBeNull();
    expect(cache.get('t2', null, DAY)).not.toBeNull();
    expect(cache.get('other', null, DAY)).not.toBeNull();
    expect(cache.invalidate('udf-a')).toBe(1);
    expect(cache.get('t2', null, DAY)).toBeNull();
  });

  it('removes entries made by older versions of a UDF', () => {
    const cache = open();
    cache.put(entry('old', 'o', { codeKey: 'v1' }));
    cache.put(entry('new', 'n', { codeKey: 'v2' }));
    expect(cache.removeOtherVersions('udf-a', 'v2')).toBe(1);
    expect(cache.get('old', null, DAY)).toBeNull();
    expect(cache.get('new', null, DAY)).not.toBeNull();
  });

  it('never serves a damaged file (regression: partial write)', () => {
    open().put(entry('k', 'a complete result'));
    const file = join(home.root, 'cache', 'k'.slice(0, 2), 'k');
    truncateSync(file, 5);
    const cache = open();
    expect(cache.get('k', null, DAY)).toBeNull();
    expect(cache.stats().entries).toBe(0);
    writeFileSync(file, 'a complete resulX');
    expect(open().get('k', null, DAY)).toBeNull();
  });

  it('repairs itself on open: temp files, orphan files and rows without a file go', () => {
    const cache = open();
    cache.put(entry('kept', 'kept'));
    cache.put(entry('lost', 'lost'));
    const folder = (key: string): string => join(home.root, 'cache', key.slice(0, 2));
    writeFileSync(join(folder('kept'), 'kept.123.tmp'), 'half');
    writeFileSync(join(folder('kept'), 'orphan'), 'no row names me');
    truncateSync(join(folder('lost'), 'lost'), 0);
    const reopened = open();
    expect(readdirSync(folder('kept')).sort()).toEqual(['kept']);
    expect(existsSync(join(folder('lost'), 'lost'))).toBe(false);
    expect(reopened.stats().entries).toBe(1);
  });

  it('keeps hits in memory without reading the disk again', () => {
    const cache = open();
    cache.put(entry('hot', 'hot'));
    const file = join(home.root, 'cache', 'ho', 'hot');
    truncateSync(file, 0);
    expect(cache.get('hot', null, DAY)?.body.toString()).toBe('hot');
  });
});

describe('result cache faults and limits (issue 16)', () => {
  it('#2: a write that fails is reported, leaves nothing behind, and the next good write clears the report', () => {
    const problems: Array<StorageProblem | null> = [];
    const cache = open({ onProblem: (problem) => problems.push(problem) });
    // Where the folder for keys starting "ab" must go, a file stands: the write cannot happen.
    writeFileSync(join(home.root, 'cache', 'ab'), 'in the way');
    const write = cache.put(entry('abc', 'body'));
    expect(write).toMatchObject({ stored: false, error: { code: 'UDF_ERR_CACHE_WRITE', message: expect.stringMatching(/^the result cache could not store a result: .*uncached/) as unknown } });
    expect(cache.storageProblem).toMatchObject({ code: 'UDF_ERR_CACHE_WRITE', failures: 1 });
    expect(cache.get('abc', null, DAY)).toBeNull();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(cache.put(entry('xyz', 'fine')).stored).toBe(true);
    expect(cache.storageProblem).toBeNull();
    expect(cache.get('xyz', null, DAY)?.body.toString()).toBe('fine');
    expect(problems.map((problem) => problem?.code ?? null)).toEqual(['UDF_ERR_CACHE_WRITE', null]);
  });

  it('#2: with the index locked by another process, writes fail at once and are reported; reads still answer', async () => {
    const cache = open();
    cache.put(entry('before', 'stored before the lock'));
    const lock = await holdWriteLock(join(home.root, 'db.sqlite'));
    try {
      const write = cache.put(entry('during', 'not storable now'));
      expect(write).toMatchObject({ stored: false, error: { message: expect.stringContaining("another process holds the cache index's write lock (SQLITE_BUSY") as unknown } });
      expect(readdirSync(join(home.root, 'cache', 'du'))).toEqual([]);
      expect(open().get('before', null, DAY)?.body.toString()).toBe('stored before the lock');
      expect(cache.get('before', null, DAY)).not.toBeNull();
      cache.flush(); // the access-time write fails too, quietly: it only orders eviction
      expect(cache.storageProblem?.failures).toBe(2);
    } finally {
      await lock.release();
    }
    expect(cache.put(entry('during', 'storable again')).stored).toBe(true);
    expect(cache.storageProblem).toBeNull();
  });

  it('#9: printed output counts towards the cap and is kept only up to its limit', () => {
    const cache = open({ capBytes: 200 * 1024 });
    const loud = 'x'.repeat(1024 * 1024);
    const write = cache.put(entry('loud', '{}', { stdout: loud, stderr: loud }));
    expect(write.stored).toBe(true);
    const row = db.prepare('SELECT length(stdout) AS out, length(stderr) AS err, output_bytes FROM cache_entries WHERE key = ?').get('loud') as { out: number; err: number; output_bytes: number };
    expect(row.out).toBeLessThan(MAX_STORED_OUTPUT_BYTES + 100);
    expect(row.err).toBeLessThan(MAX_STORED_OUTPUT_BYTES + 100);
    expect(cache.stats().bytes).toBe(2 + row.output_bytes);
    expect(open().get('loud', null, DAY)?.stdout).toMatch(/^x+\n\[… \d+ bytes of output not kept in the result cache …\]\nx+$/);
    // Entries with a small body and much output still push older ones out past the cap.
    for (const key of ['a', 'b', 'c']) {
      clock += 1000;
      cache.put(entry(key, '{}', { stdout: 'y'.repeat(60 * 1024) }));
    }
    expect(cache.stats().bytes).toBeLessThanOrEqual(200 * 1024);
    expect(cache.get('loud', null, DAY)).toBeNull();
    expect(['a', 'b', 'c'].every((key) => cache.get(key, null, DAY) !== null)).toBe(true);
  });

  it('#9: stored output keeps the start and the end of a stream within its budget, as text', () => {
    expect(capOutput('short')).toBe('short');
    const text = `${'é'.repeat(3000)}MIDDLE${'ü'.repeat(3000)}`;
    const kept = capOutput(text, 4000);
    expect(kept.startsWith('é'.repeat(400))).toBe(true);
    expect(kept.endsWith('ü'.repeat(1400))).toBe(true);
    expect(kept).not.toContain('MIDDLE');
    expect(Buffer.byteLength(kept)).toBeLessThan(4000 + 100);
  });

  it('#14: cache files and folders are owner-only, and an older cache\'s are made so on open', () => {
    const cache = open();
    cache.put(entry('secret', 'a result'));
    const folder = join(home.root, 'cache', 'se');
    const file = join(folder, 'secret');
    expect(statSync(join(home.root, 'cache')).mode & 0o777).toBe(0o700);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(join(home.root, 'cache'), 0o755);
    chmodSync(folder, 0o755);
    chmodSync(file, 0o644);
    expect(open().get('secret', null, DAY)?.body.toString()).toBe('a result');
    expect(statSync(join(home.root, 'cache')).mode & 0o777).toBe(0o700);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
