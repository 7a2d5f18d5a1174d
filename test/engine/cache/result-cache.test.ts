import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultCache, type NewCacheEntry } from '../../../src-main/engine/cache/result-cache.js';
import { openDatabase, type Db } from '../../../src-main/engine/store/database.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let db: Db;
let clock: number;
const DAY = 86_400;

function entry(key: string, body: string, extra: Partial<NewCacheEntry> = {}): NewCacheEntry {
  return {
    key, udfId: 'udf-a', codeKey: 'code-1', tile: null, format: 'json', contentType: 'application/json', kind: 'json', empty: false,
    udfMaxAge: null, stdout: '', stderr: '', durationMs: 1, body: Buffer.from(body), ...extra,
  };
}

function open(options: { capBytes?: number; memoryBytes?: number } = {}): ResultCache {
  return new ResultCache(db, join(home.root, 'cache'), { ...options, now: () => clock });
}

beforeEach(() => {
  home = makeTestHome();
  db = openDatabase(join(home.root, 'db.sqlite'));
  clock = 1_000_000;
});
afterEach(() => {
  db.close();
  home.remove();
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
