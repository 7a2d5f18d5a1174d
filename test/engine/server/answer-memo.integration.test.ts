import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { metaJson, type TestHome } from '../../helpers/test-home.js';
import { bearer, request, serverForFile, settledChange, type HttpResult } from '../../helpers/server.js';

// Repeated cache hits on shared-token URLs are answered from the answer memo (answer-memo.ts).
// Each test makes a URL a remembered one (a miss, then hits) before changing what stands behind it.

let home: TestHome;
let server: EngineServer;

function udfCode(name: string, value: number): string {
  // Over 1 KB of JSON, so clients that take gzip get it compressed; the name keeps results apart.
  return `@fused.udf\ndef udf(n: int = 1):\n    return {"n": n, "value": ${value}, "name": "${name}", "padding": "x" * 2000}\n`;
}

function writeUdf(name: string, value: number): void {
  writeFileSync(join(home.root, 'ws', name, `${name}.py`), udfCode(name, value));
}

/** A new UDF with a token of its own, so tests do not share remembered URLs. */
function newUdf(name: string): string {
  home.write({ [`ws/${name}/meta.json`]: metaJson(name), [`ws/${name}/${name}.py`]: udfCode(name, 1) });
  return name;
}

async function tokenFor(name: string): Promise<string> {
  await server.services.watcher.follow();
  return server.services.tokens.create({ udfSlug: name }).token;
}

/** Asks three times: a miss, a hit by the normal path, then a hit the memo answers. */
async function remembered(path: string, headers: Record<string, string> = {}): Promise<HttpResult[]> {
  const answers: HttpResult[] = [];
  for (let i = 0; i < 3; i++) answers.push(await request(server.url, path, { headers }));
  expect(answers.map((answer) => answer.headers['x-udf-studio-cache'])).toEqual(['miss', 'hit', 'hit']);
  return answers;
}

function withoutDate(answer: HttpResult): Record<string, unknown> {
  const { date: _date, ...rest } = answer.headers;
  return rest;
}

function valueOf(answer: HttpResult): number {
  const text = answer.headers['content-encoding'] === 'gzip' ? gunzipSync(answer.body).toString('utf8') : answer.text;
  return (JSON.parse(text) as { value: number }).value;
}

serverForFile((started) => ({ home, server } = started));

describe('the answer memo', () => {
  it('answers a remembered URL with the same status, headers and bytes as the normal path', async () => {
    const token = await tokenFor(newUdf('Same'));
    const [, normal, memo] = await remembered(`/${token}/run/file?n=2&format=json`) as [HttpResult, HttpResult, HttpResult];
    expect(memo.status).toBe(200);
    expect(withoutDate(memo)).toEqual(withoutDate(normal));
    expect(memo.body.equals(normal.body)).toBe(true);
    const head = await request(server.url, `/${token}/run/file?n=2&format=json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(normal.headers['content-length']);
  });

  it('stops answering for a token once it is disabled, and again once it is enabled', async () => {
    const token = await tokenFor(newUdf('Disabled'));
    await remembered(`/${token}/run/file?format=json`);
    server.services.tokens.update(token, { enabled: false });
    const refused = await request(server.url, `/${token}/run/file?format=json`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('UDF_ERR_TOKEN_DISABLED');
    server.services.tokens.update(token, { enabled: true });
    expect((await request(server.url, `/${token}/run/file?format=json`)).status).toBe(200);
  });

  it('answers 404 for a deleted token', async () => {
    const token = await tokenFor(newUdf('Deleted'));
    await remembered(`/${token}/run/file?format=json`);
    server.services.tokens.delete(token);
    const gone = await request(server.url, `/${token}/run/file?format=json`);
    expect(gone.status).toBe(404);
    expect(gone.text).toContain('UDF_ERR_TOKEN_UNKNOWN');
  });

  it('runs the edited code for a remembered URL once the UDF changes on disk', async () => {
    const name = newUdf('Edited');
    const token = await tokenFor(name);
    const [first] = await remembered(`/${token}/run/file?format=json`) as [HttpResult];
    expect(valueOf(first)).toBe(1);
    const changed = settledChange(server, name);
    writeUdf(name, 2);
    await changed;
    const after = await request(server.url, `/${token}/run/file?format=json`);
    expect(after.headers['x-udf-studio-cache']).toBe('miss');
    expect(valueOf(after)).toBe(2);
  });

  it('runs again for a remembered URL after the cache is cleared', async () => {
    const token = await tokenFor(newUdf('Cleared'));
    await remembered(`/${token}/run/file?format=json`);
    expect((await request(server.url, '/api/cache', { method: 'DELETE', headers: bearer(server) })).status).toBe(200);
    expect((await request(server.url, `/${token}/run/file?format=json`)).headers['x-udf-studio-cache']).toBe('miss');
  });

  it('answers 304 to a matching If-None-Match and 200 to another', async () => {
    const token = await tokenFor(newUdf('Revalidated'));
    const path = `/${token}/run/file?format=json`;
    const [, hit] = await remembered(path) as [HttpResult, HttpResult];
    const etag = hit.headers.etag as string;
    const notModified = await request(server.url, path, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.body.length).toBe(0);
    const other = await request(server.url, path, { headers: { 'if-none-match': '"0000", garbage' } });
    expect(other.status).toBe(200);
    expect(other.body.equals(hit.body)).toBe(true);
  });

  it('remembers a client that only ever revalidates', async () => {
    const token = await tokenFor(newUdf('Only_304'));
    const path = `/${token}/run/file?format=json`;
    const first = await request(server.url, path);
    const etag = first.headers.etag as string;
    for (let i = 0; i < 3; i++) expect((await request(server.url, path, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const full = await request(server.url, path);
    expect(full.status).toBe(200);
    expect(full.body.equals(first.body)).toBe(true);
  });

  it('gives clients that take gzip and clients that do not each their own body', async () => {
    const token = await tokenFor(newUdf('Gzip'));
    const path = `/${token}/run/file?format=json`;
    const [, zipped] = await remembered(path, { 'accept-encoding': 'gzip' }) as [HttpResult, HttpResult];
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const plain = await request(server.url, path);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zippedAgain = await request(server.url, path, { headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(zippedAgain.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zippedAgain.body).equals(plain.body)).toBe(true);
  });

  it('never answers a client that turns HTTP caching off, even for a remembered URL', async () => {
    const token = await tokenFor(newUdf('No_Store'));
    const path = `/${token}/run/file?format=json`;
    await remembered(path);
    const answer = await request(server.url, path, { headers: { 'x-fused-cache-disable': 'true' } });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers.etag).toBeUndefined();
  });

  it('answers different parameters on the same route by their own results', async () => {
    const token = await tokenFor(newUdf('Params'));
    await remembered(`/${token}/run/file?n=1&format=json`);
    const other = await request(server.url, `/${token}/run/file?n=7&format=json`);
    expect(other.headers['x-udf-studio-cache']).toBe('miss');
    expect((JSON.parse(other.text) as { n: number }).n).toBe(7);
  });
});
