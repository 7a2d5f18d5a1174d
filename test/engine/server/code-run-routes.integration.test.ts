import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { WAIT_MS } from '../../../src-main/engine/server/pending-runs.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';
import { textMatching } from '../../helpers/matchers.js';

let server: EngineServer;
let base: string;
serverForFile((started) => ({ server, url: base } = started));

const BASE = '/server/v1/realtime/udf-studio-local/api/v1/run/udf';
const CODE = {
  echo: '@fused.udf\ndef udf(word: str = "hi"):\n    print("echo", word)\n    return {"word": word}\n',
  nap: '@fused.udf\ndef udf(seconds: float = 1.0, tag: str = ""):\n    import time\n    time.sleep(seconds)\n    return {"slept": seconds, "tag": tag}\n',
  boom: '@fused.udf\ndef udf():\n    print("about to fail")\n    raise ValueError("no data here")\n',
  nothing: '@fused.udf\ndef udf(bounds: fused.types.Bounds = None):\n    return None\n',
};

/** The body the official client sends: step_config as a JSON string, its default formats. */
function body(code: string, parameters: Record<string, unknown> = {}): string {
  return JSON.stringify({ step_config: JSON.stringify({ type: 'udf', udf: { name: 'probe', code, parameters } }), format: 'npy,tiff,parquet,json', profile: false });
}

function start(code: string, parameters: Record<string, unknown>, runId: string | null, path = '/start'): Promise<HttpResult> {
  const headers: Record<string, string> = { ...bearer(server), 'content-type': 'application/json', 'fused-recursion': '1', 'x-fused-cache-disable': 'true' };
  if (runId) headers['fused-run-id'] = runId;
  return request(base, `${BASE}${path}?fused_cache_disable_stream=true`, { method: 'POST', headers, body: body(code, parameters) });
}

function get(runId: string): Promise<HttpResult> {
  return request(base, `${BASE}/get/${runId}`, { headers: bearer(server) });
}

describe('code runs the official client polls for', () => {
  it('answers a quick run at once, and again when asked by its run id', async () => {
    const runId = randomUUID();
    const started = await start(CODE.echo, { word: runId }, runId);
    expect(started.status).toBe(200);
    expect(started.json()).toEqual({ word: runId });
    expect(JSON.parse(String(started.headers['x-fused-metadata']))).toMatchObject({ stdout: `echo ${runId}\n`, has_exception: false });
    const again = await get(runId);
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ word: runId });
  });

  it('answers 202 within the wait for a longer run, then its result when polled', async () => {
    const runId = randomUUID();
    const before = performance.now();
    const started = await start(CODE.nap, { seconds: 3, tag: runId }, runId);
    const waited = performance.now() - before;
    expect(started.status).toBe(202);
    expect(started.json()).toEqual({ run_id: runId, status: 'running' });
    expect(waited).toBeGreaterThanOrEqual(WAIT_MS - 100);
    expect(waited).toBeLessThan(4_000);
    let polled = await get(runId);
    while (polled.status === 202) polled = await get(runId);
    expect(polled.status).toBe(200);
    expect(polled.json()).toEqual({ slept: 3, tag: runId });
  });

  it('joins a start sent again with the same run id instead of running twice', async () => {
    const runId = randomUUID();
    const [first, second] = await Promise.all([start(CODE.nap, { seconds: 1, tag: runId }, runId), start(CODE.nap, { seconds: 1, tag: runId }, runId)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json()).toEqual(second.json());
    expect(first.headers['x-udf-studio-cache']).toBe(second.headers['x-udf-studio-cache']);
  });

  it('waits for the run when the start names no run id (nobody could ask for it later)', async () => {
    const started = await start(CODE.nap, { seconds: 2.5, tag: randomUUID() }, null);
    expect(started.status).toBe(200);
    expect((started.json() as { slept: number }).slept).toBe(2.5);
  });

  it('answers a UDF error with 422, its line and its output', async () => {
    const runId = randomUUID();
    const started = await start(CODE.boom, {}, runId);
    expect(started.status).toBe(422);
    expect(JSON.parse(String(started.headers['x-fused-metadata']))).toMatchObject({ has_exception: true, lineno: 4, errormsg: 'no data here', stdout: 'about to fail\n' });
    expect((await get(runId)).status).toBe(422);
  });

  it('answers an empty tile with 200 and no bytes (None to the client), not the 204 its async reader refuses', async () => {
    const started = await start(CODE.nothing, {}, randomUUID(), '/start/tiles/3/1/1');
    expect(started.status).toBe(200);
    expect(started.body.length).toBe(0);
  });

  it('#7: DELETE cancels a started run (what a proxying engine sends when its client went away); a later poll says cancelled', async () => {
    const runId = randomUUID();
    const started = await start(CODE.nap, { seconds: 600, tag: runId }, runId);
    expect(started.status).toBe(202);
    const cancelled = await request(base, `${BASE}/get/${runId}`, { method: 'DELETE', headers: bearer(server) });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json()).toEqual({ run_id: runId, status: 'cancelled' });
    let polled = await get(runId);
    while (polled.status === 202) polled = await get(runId);
    expect(polled.status).toBe(409);
    expect((polled.json() as { error: { code: string } }).error.code).toBe('UDF_ERR_CANCELLED');
    const again = await request(base, `${BASE}/get/${runId}`, { method: 'DELETE', headers: bearer(server) });
    expect(again.json()).toEqual({ run_id: runId, status: 'finished' });
    const next = await start(CODE.echo, { word: runId }, randomUUID());
    expect(next.json()).toEqual({ word: runId });
  });

  it('says a run id it does not know in a sentence', async () => {
    const result = await get(randomUUID());
    expect(result.status).toBe(404);
    expect((result.json() as { error: { code: string }; detail: string })).toMatchObject({ error: { code: 'UDF_ERR_RUN_NOT_FOUND' }, detail: textMatching(/^no run ".*" \(/) });
  });
});

describe('malformed code runs', () => {
  const json = { 'content-type': 'application/json' };
  const cases: [string, () => string, () => { method?: string; headers?: Record<string, string>; body?: string }, number, string][] = [
    ['a run id with spaces', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'a b' }, body: body(CODE.echo) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a run id of 129 characters', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'a'.repeat(129) }, body: body(CODE.echo) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a body that is not JSON', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r1' }, body: '{"step_config": ' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a body that is a list', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r2' }, body: '[]' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a step_config that is a number', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r3' }, body: '{"step_config": 5}' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a format that is a number', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r4' }, body: JSON.stringify({ ...JSON.parse(body(CODE.echo)) as object, format: 5 }) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['an unknown format', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r5' }, body: JSON.stringify({ ...JSON.parse(body(CODE.echo)) as object, format: 'gif87' }) }), 406, 'UDF_ERR_FORMAT'],
    ['cache that is not a boolean', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r6' }, body: JSON.stringify({ ...JSON.parse(body(CODE.echo)) as object, cache: 'no' }) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a bad cache_max_age', () => `${BASE}/start?cache_max_age=soon`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r7' }, body: body(CODE.echo) }), 400, 'UDF_ERR_PARAM'],
    ['a malformed Fused-Recursion', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r8', 'fused-recursion': 'deep' }, body: body(CODE.echo) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a tile out of range', () => `${BASE}/start/tiles/2/9/9`, () => ({ method: 'POST', headers: { ...bearer(server), ...json, 'fused-run-id': 'r9' }, body: body(CODE.nothing) }), 400, 'UDF_ERR_BAD_TILE'],
    ['a start without the token', () => `${BASE}/start`, () => ({ method: 'POST', headers: { ...json, 'fused-run-id': 'r10' }, body: body(CODE.echo) }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['a poll without the token', () => `${BASE}/get/r1`, () => ({}), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['a poll for a run id with a slash', () => `${BASE}/get/a%2Fb`, () => ({ headers: bearer(server) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a poll for a run id of 200 characters', () => `${BASE}/get/${'x'.repeat(200)}`, () => ({ headers: bearer(server) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a POST to the poll route', () => `${BASE}/get/r1`, () => ({ method: 'POST', headers: bearer(server), body: '{}' }), 405, 'UDF_ERR_METHOD'],
    ['a cancel without the token', () => `${BASE}/get/r1`, () => ({ method: 'DELETE' }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['a cancel of a run id with a slash', () => `${BASE}/get/a%2Fb`, () => ({ method: 'DELETE', headers: bearer(server) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a cancel of a run id it does not know', () => `${BASE}/get/never-started`, () => ({ method: 'DELETE', headers: bearer(server) }), 404, 'UDF_ERR_RUN_NOT_FOUND'],
    ['a GET of the start route', () => `${BASE}/start`, () => ({ headers: bearer(server) }), 405, 'UDF_ERR_METHOD'],
  ];

  it.each(cases)('%s gets a clear 4xx', async (_label, path, init, status, code) => {
    const result = await request(base, path(), init());
    expect(result.status).toBe(status);
    const answer = result.json() as { error: { code: string; message: string } };
    expect(answer.error.code).toBe(code);
    expect(answer.error.message.length).toBeGreaterThan(10);
  });

  it('refuses a start body over the limit with 413', async () => {
    const result = await request(base, `${BASE}/start`, { method: 'POST', headers: { ...bearer(server), 'fused-run-id': 'big' }, body: 'x'.repeat(6 * 1024 * 1024) });
    expect(result.status).toBe(413);
  });

  it('knows none of the refused run ids afterwards', async () => {
    expect((await get('r1')).status).toBe(404);
  });
});
