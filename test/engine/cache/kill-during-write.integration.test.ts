import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { openDatabase } from '../../../src-main/engine/store/database.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';
import { startServe as startServeProcess, type ServeProcess } from '../../helpers/cli.js';
import { request } from '../../helpers/server.js';
import { TokenStore } from '../../../src-main/engine/tokens/token-store.js';

// Regression guard for the design's bar: kill -9 during a cache write never leads to a corrupt
// entry being served after a restart.
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

function startServe(): Promise<ServeProcess> {
  return startServeProcess(['--port', '0', '--workers', '2', '--workspace', join(home.root, 'ws')], home.env);
}

const expected = (i: number): Buffer => Buffer.alloc(SIZE_KB * 1024, i % 251);

describe('kill -9 during cache writes', () => {
  it('never serves a partial or corrupt entry after a restart, and the index repairs itself', async () => {
    const requested = new Set<number>();
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const { proc, url } = await startServe();
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      let stop = false;
      let answered: () => void = () => {};
      const firstAnswer = new Promise<void>((resolve) => {
        answered = resolve;
      });
      const load = async (): Promise<void> => {
        while (!stop) {
          const i = next++;
          requested.add(i);
          try {
            await request(url, `/${token}/run/file?i=${i}`, { agent });
            answered();
          } catch {
            return; // the server was killed mid-request
          }
        }
      };
      const clients = Array.from({ length: 4 }, load);
      // Killed while writes are under way: once results flow (slow machines start workers late).
      await firstAnswer;
      await new Promise((resolve) => setTimeout(resolve, 100 + round * 150));
      proc.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await exited;
      agent.destroy();
    }

    const { proc, url } = await startServe();
    try {
      let hits = 0;
      for (const i of requested) {
        const result = await request(url, `/${token}/run/file?i=${i}`);
        expect(result.status).toBe(200);
        expect(result.body.equals(expected(i)), `result ${i} (${String(result.headers['x-udf-studio-cache'])})`).toBe(true);
        if (result.headers['x-udf-studio-cache'] === 'hit') hits += 1;
      }
      expect(hits).toBeGreaterThan(0);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((resolve) => proc.once('exit', resolve));
    }

    // Every row the index keeps names a whole file with the recorded hash.
    const db = openDatabase(join(home.root, 'udf-studio.sqlite'));
    try {
      const rows = db.prepare('SELECT key, size, sha256 FROM cache_entries').all() as Array<{ key: string; size: number; sha256: string }>;
      for (const row of rows) {
        const body = readFileSync(join(home.root, 'cache', row.key.slice(0, 2), row.key));
        expect(body.length).toBe(row.size);
        expect(createHash('sha256').update(body).digest('hex')).toBe(row.sha256);
      }
    } finally {
      db.close();
    }
  }, 120_000);
});
