import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PAUSE_ENV, PAUSED_LINE } from '../../../src-main/engine/cache/write-pause.js';
import { openDatabase } from '../../../src-main/engine/store/database.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';
import { startServe as startServeProcess, type ServeProcess } from '../../helpers/cli.js';
import { request } from '../../helpers/server.js';
import { TokenStore } from '../../../src-main/engine/tokens/token-store.js';

// Regression guard for the design's bar: kill -9 during a cache write never leads to a corrupt
// entry being served after a restart. A test hook pauses the engine inside its write, at each
// stage, so the kill lands there for certain.
const SIZE_KB = 1024;
let home: TestHome;
let token: string;

beforeAll(() => {
  home = makeTestHome();
  home.write({ 'ws/Blob/Blob.py': `@fused.udf\ndef udf(i: int = 0, kb: int = ${SIZE_KB}):\n    return bytes([i % 251]) * (kb * 1024)\n` });
  const db = openDatabase(join(home.root, 'udf-studio.sqlite'));
  token = new TokenStore(db).create({ udfSlug: 'Blob' }).token;
  db.close();
});
afterAll(() => home.remove());

function startServe(env: NodeJS.ProcessEnv = home.env): Promise<ServeProcess> {
  return startServeProcess(['--port', '0', '--workers', '1', '--workspace', join(home.root, 'ws')], env);
}

async function stop(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}

/** Resolves once the engine prints that it stopped inside a cache write. */
function paused(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(PAUSED_LINE)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code} before pausing: ${seen}`)));
  });
}

const expected = (i: number): Buffer => Buffer.alloc(SIZE_KB * 1024, i % 251);
const cacheFiles = (): string[] => readdirSync(join(home.root, 'cache'), { recursive: true, encoding: 'utf8' }).filter((name) => !statSync(join(home.root, 'cache', name)).isDirectory());

function indexedKeys(): string[] {
  const db = openDatabase(join(home.root, 'udf-studio.sqlite'));
  try {
    return (db.prepare('SELECT key FROM cache_entries').all() as Array<{ key: string }>).map((row) => row.key);
  } finally {
    db.close();
  }
}

describe('kill -9 during cache writes', () => {
  it.each([
    ['partial', 1, (files: string[]) => files.some((name) => name.endsWith('.tmp') && statSync(join(home.root, 'cache', name)).size === (SIZE_KB * 1024) / 2)],
    ['renamed', 2, (files: string[]) => files.some((name) => !name.endsWith('.tmp') && statSync(join(home.root, 'cache', name)).size === SIZE_KB * 1024)],
  ] as const)('killed with the write paused at "%s", it never serves a partial entry after a restart and repairs the index', async (stage, i, inFlight) => {
    const { proc, url } = await startServe({ ...home.env, [PAUSE_ENV]: stage });
    const pausedNow = paused(proc);
    const answer = request(url, `/${token}/run/file?i=${i}`).catch(() => null); // the kill cuts it short
    await pausedNow;
    // The write is under way: its file is on disk (half of it, or all of it), and no row names it yet.
    expect(inFlight(cacheFiles())).toBe(true);
    const keysBefore = indexedKeys();
    await stop(proc, 'SIGKILL');
    expect(await answer).toBeNull();

    const restarted = await startServe();
    try {
      // Opening the cache removed what the cut-short write left.
      expect(cacheFiles().filter((name) => !keysBefore.some((key) => name.endsWith(key)))).toEqual([]);
      const first = await request(restarted.url, `/${token}/run/file?i=${i}`);
      expect(first.status).toBe(200);
      expect(first.headers['x-udf-studio-cache']).toBe('miss');
      expect(first.body.equals(expected(i))).toBe(true);
      const second = await request(restarted.url, `/${token}/run/file?i=${i}`);
      expect(second.headers['x-udf-studio-cache']).toBe('hit');
      expect(second.body.equals(expected(i))).toBe(true);
    } finally {
      await stop(restarted.proc, 'SIGTERM');
    }

    // Every row the index keeps names a whole file with the recorded hash.
    const db = openDatabase(join(home.root, 'udf-studio.sqlite'));
    try {
      const rows = db.prepare('SELECT key, size, sha256 FROM cache_entries').all() as Array<{ key: string; size: number; sha256: string }>;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const file = join(home.root, 'cache', row.key.slice(0, 2), row.key);
        expect(existsSync(file)).toBe(true);
        const body = readFileSync(file);
        expect(body.length).toBe(row.size);
        expect(createHash('sha256').update(body).digest('hex')).toBe(row.sha256);
      }
    } finally {
      db.close();
    }
  }, 120_000);
});
