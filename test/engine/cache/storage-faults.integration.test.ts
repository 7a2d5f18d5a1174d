/**
 * Fault injection for the result cache's storage against a real `udf-studio serve` (issue 16, #2):
 * a full disk (a file-size limit on the engine's process, unprivileged) and the SQLite index locked
 * by another process. For each: the run's answer, the next run's, and the server's health.
 */

import { beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../../src-main/engine/store/database.js';
import { TokenStore } from '../../../src-main/engine/tokens/token-store.js';
import { cliHomeForEachTest, runCli, startServe, type ServeOptions, type ServeProcess } from '../../helpers/cli.js';
import { request, type HttpResult } from '../../helpers/server.js';
import { holdWriteLock } from '../../helpers/sqlite-lock.js';
import { privateTokenOf } from '../../helpers/test-home.js';

const BIG_KB = 3072;
const { home, stopAfterTest } = cliHomeForEachTest();
let tokens: { big: string; small: string };

beforeEach(() => {
  home.write({
    'ws/Big/Big.py': `@fused.udf\ndef udf(kb: int = ${BIG_KB}):\n    return b"b" * (kb * 1024)\n`,
    'ws/Small/Small.py': '@fused.udf\ndef udf(n: int = 1):\n    print("small ran")\n    return {"n": n}\n',
  });
  const db = openDatabase(join(home.root, 'udf-studio.sqlite'));
  const store = new TokenStore(db);
  tokens = { big: store.create({ udfSlug: 'Big' }).token, small: store.create({ udfSlug: 'Small' }).token };
  db.close();
});

function start(options: ServeOptions = {}): Promise<ServeProcess> {
  return startServe(['--port', '0', '--workers', '1', '--workspace', join(home.root, 'ws')], home.env, stopAfterTest, options);
}

async function health(url: string): Promise<{ status: string; problems?: Array<{ code: string; message: string; failures: number }> }> {
  const answer = await request(url, '/healthz');
  expect(answer.status).toBe(200);
  return answer.json() as { status: string; problems?: Array<{ code: string; message: string; failures: number }> };
}

/** The private token the engine wrote to the home, as a Bearer header. */
function privateAuth(): Record<string, string> {
  return { authorization: `Bearer ${privateTokenOf(home)}` };
}

/** Creates a shared token through the API. */
function newToken(url: string): Promise<HttpResult> {
  return request(url, '/server/v1/udf-access-token/new', {
    method: 'POST', headers: { ...privateAuth(), 'content-type': 'application/json' }, body: JSON.stringify({ udf_slug: 'Small' }),
  });
}

interface JobAnswer { id: string; status: string; version: number; runs: Array<{ status: string; error: { code: string; message: string } | null }> }

/** Submits a job and waits for it to end (the engine answers once the job moved on). */
async function submit(url: string, body: Record<string, unknown>): Promise<JobAnswer> {
  const created = await request(url, '/api/jobs', { method: 'POST', headers: { ...privateAuth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(created.status, created.text).toBe(201);
  let job = created.json() as JobAnswer;
  while (job.status === 'running') {
    job = (await request(url, `/api/jobs/${job.id}?since=${job.version}&wait=5000`, { headers: privateAuth() })).json() as JobAnswer;
  }
  return job;
}

function expectUncached(answer: HttpResult, reason: RegExp): void {
  expect(answer.status).toBe(200);
  expect(answer.headers['x-udf-studio-cache']).toBe('miss');
  expect(answer.headers['x-udf-studio-cache-error']).toMatch(/^UDF_ERR_CACHE_WRITE: the result cache could not store a result: /);
  expect(answer.headers['x-udf-studio-cache-error']).toMatch(reason);
}

describe('result cache storage faults', () => {
  it('#2: with the disk full, runs are answered uncached and say so, and the engine stays up and reports it', async () => {
    const { url, stderr } = await start({ fileSizeLimitKb: 2048 });
    const big = `/${tokens.big}/run/file`;
    const first = await request(url, big);
    expectUncached(first, /disk is full or a file-size limit is reached \(EFBIG\)/);
    expect(first.body.equals(Buffer.alloc(BIG_KB * 1024, 'b'))).toBe(true);
    expect(await health(url)).toMatchObject({ status: 'degraded', problems: [{ code: 'UDF_ERR_CACHE_WRITE', failures: 1 }] });
    expect(stderr()).toMatch(/warning: UDF_ERR_CACHE_WRITE: the result cache could not store a result: the disk is full/);

    const again = await request(url, big);
    expectUncached(again, /EFBIG/);
    expect(again.body.equals(first.body)).toBe(true);
    expect((await health(url)).problems?.[0]?.failures).toBe(2);

    // A result that fits is stored: the engine recovers by itself.
    const small = await request(url, `/${tokens.small}/run/file?format=json`);
    expect(small.status).toBe(200);
    expect(small.headers['x-udf-studio-cache-error']).toBeUndefined();
    expect(await health(url)).toEqual({ status: 'ok', workers: 1 });
    expect((await request(url, `/${tokens.small}/run/file?format=json`)).headers['x-udf-studio-cache']).toBe('hit');
    expect(stderr()).toMatch(/warning: the result cache stores results again \(after 2 failed writes since /);
  }, 120_000);

  it('#2: with the disk full, a job run whose result cannot be kept fails with a code, and the engine stays up', async () => {
    const { url } = await start({ fileSizeLimitKb: 2048 });
    const job = await submit(url, { udf: 'Big', argList: [{ kb: BIG_KB }], maxRetry: 0 });
    expect(job.runs[0]).toMatchObject({ status: 'failed', error: { code: 'UDF_ERR_DISK_WRITE', message: expect.stringContaining('EFBIG') as string } });
    expect((await health(url)).status).toBe('degraded'); // its result did not fit in the cache either
    const small = await submit(url, { udf: 'Small', argList: [{ n: 2 }], format: 'json' });
    expect(small.runs[0]?.status).toBe('succeeded');
    expect(await health(url)).toEqual({ status: 'ok', workers: 1 });
  }, 120_000);

  it('#2: with the index locked by another process, runs are answered uncached and say so, and the engine stays up and reports it', async () => {
    chmodSync(home.root, 0o755); // as an older version left it (#14)
    const { url } = await start();
    expect(statSync(home.root).mode & 0o777).toBe(0o700);
    const small = `/${tokens.small}/run/file?format=json`;
    const lock = await holdWriteLock(join(home.root, 'udf-studio.sqlite'));
    try {
      const first = await request(url, small);
      expectUncached(first, /another process holds the cache index's write lock \(SQLITE_BUSY/);
      expect(first.json()).toEqual({ n: 1 });
      expect(await health(url)).toMatchObject({ status: 'degraded', problems: [{ code: 'UDF_ERR_CACHE_WRITE' }] });
      const doctor = await runCli(['doctor', '--json', '--workspace', join(home.root, 'ws')], home.env);
      const report = JSON.parse(doctor.stdout.toString('utf8')) as { ok: boolean; problems: string[]; storage: { engine: { status: string } } };
      expect(report.storage.engine.status).toBe('degraded');
      expect(report.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^the engine at http:.*UDF_ERR_CACHE_WRITE: .*write lock/)]));
      expect(doctor.code).toBe(1);
      const again = await request(url, small);
      expectUncached(again, /SQLITE_BUSY/);
      // Other writes (a new shared token) are refused at once with a code, not held on the event loop.
      const refused = await newToken(url);
      expect(refused.status).toBe(503);
      expect(refused.json()).toMatchObject({ error: { code: 'UDF_ERR_DATABASE_BUSY' } });
    } finally {
      await lock.release();
    }
    const freed = await request(url, small);
    expect(freed.headers['x-udf-studio-cache']).toBe('miss');
    expect(freed.headers['x-udf-studio-cache-error']).toBeUndefined();
    expect(await health(url)).toEqual({ status: 'ok', workers: 1 });
    const hit = await request(url, small);
    expect(hit.headers['x-udf-studio-cache']).toBe('hit');
    expect(hit.json()).toEqual({ n: 1 });
    expect((await newToken(url)).status).toBe(201);
  }, 120_000);

  it('#13: serve stops on a damaged database with its code and what to do, not a stack trace', async () => {
    writeFileSync(join(home.root, 'udf-studio.sqlite'), Buffer.alloc(16_384, 0x5a));
    const result = await runCli(['serve', '--port', '0', '--workspace', join(home.root, 'ws')], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^udf-studio: UDF_ERR_DATABASE_CORRUPT: the engine's database .*udf-studio\.sqlite is damaged/);
    expect(result.stderr).toMatch(/Move it aside \(mv /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('#13: doctor reads the database whole and names a damaged one with the way out', async () => {
    writeFileSync(join(home.root, 'udf-studio.sqlite'), Buffer.alloc(16_384, 0x5a));
    const doctor = await runCli(['doctor', '--json', '--workspace', join(home.root, 'ws')], home.env);
    const report = JSON.parse(doctor.stdout.toString('utf8')) as { problems: string[]; storage: { database: string } };
    expect(doctor.code).toBe(1);
    expect(report.storage.database).toBe('damaged');
    expect(report.problems).toEqual(expect.arrayContaining([expect.stringMatching(/udf-studio\.sqlite is damaged .*Move it aside/)]));
  }, 60_000);
});
