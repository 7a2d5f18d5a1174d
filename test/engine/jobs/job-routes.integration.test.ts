import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { JobDetail, JobSummary } from '../../../src-shared/jobs.js';
import type { EngineEvent } from '../../../src-main/engine/events/engine-events.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import type { TestHome } from '../../helpers/test-home.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';

let home: TestHome;
let server: EngineServer;
let base: string;

const UDFS: Record<string, string> = {
  Square: '@fused.udf\ndef udf(n: int = 0):\n    print("squaring", n)\n    return {"n": n, "square": n * n}\n',
  Nap: '@fused.udf\ndef udf(n: int = 0, seconds: float = 1.0):\n    import time\n    time.sleep(seconds)\n    return {"n": n}\n',
  Picky: '@fused.udf\ndef udf(n: int = 0):\n    if n % 3 == 0:\n        raise ValueError(f"no multiples of three: {n}")\n    return {"n": n}\n',
  Flaky: [
    '@fused.udf',
    'def udf(n: int = 0, marker: str = ""):',
    '    import os',
    '    # Fails on the first attempt only: the marker file remembers it was tried.',
    '    if not os.path.exists(marker):',
    '        open(marker, "w").close()',
    '        raise RuntimeError("first attempt fails")',
    '    return {"n": n}',
    '',
  ].join('\n'),
};

serverForFile((started) => ({ home, server, url: base } = started), { udfs: UDFS, poolSize: 1 });

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return request(base, path, { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function waitForEnd(id: string): Promise<JobDetail & { version: number }> {
  let detail = (await request(base, `/api/jobs/${id}`, { headers: bearer(server) })).json() as JobDetail & { version: number };
  while (detail.status === 'running') {
    detail = (await request(base, `/api/jobs/${id}?since=${detail.version}&wait=5000`, { headers: bearer(server) })).json() as typeof detail;
  }
  return detail;
}

describe('submit jobs over HTTP (real workers)', () => {
  it('runs a UDF over a list of values bound to its first parameter, and serves each result', async () => {
    const events: EngineEvent[] = [];
    const stop = server.services.engine.events.subscribe((event) => events.push(event));
    const created = await post('/api/jobs', { udf: 'Square', argList: [1, 2, 3, 4], format: 'json' });
    expect(created.status).toBe(201);
    const job = created.json() as JobDetail;
    expect(job).toMatchObject({ udf: 'Square', total: 4, status: 'running' });
    const done = await waitForEnd(job.id);
    stop();
    expect(done.status).toBe('succeeded');
    expect(done.counts).toEqual({ pending: 0, running: 0, succeeded: 4, failed: 0, cancelled: 0 });
    expect(done.runs.map((run) => run.args)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    const third = await request(base, `/api/jobs/${job.id}/runs/2/result`, { headers: bearer(server) });
    expect(third.status).toBe(200);
    expect(third.json()).toEqual({ n: 3, square: 9 });
    expect(JSON.parse(String(third.headers['x-fused-metadata']))).toMatchObject({ stdout: 'squaring 3\n', has_exception: false });
    // The last event says the job ended; the list shows it.
    const jobEvents = events.filter((event): event is Extract<EngineEvent, { type: 'job' }> => event.type === 'job' && event.job.id === job.id);
    expect(jobEvents.at(-1)?.job.status).toBe('succeeded');
    const list = (await request(base, '/api/jobs', { headers: bearer(server) })).json() as { jobs: JobSummary[] };
    expect(list.jobs.map((entry) => entry.id)).toContain(job.id);
  });

  it('takes lists of objects, shared params and inline code; a second identical job is answered from the cache', async () => {
    const udf = { name: 'Inline_Add', code: '@fused.udf\ndef udf(a: int = 0, b: int = 0):\n    return {"sum": a + b}\n' };
    const first = await waitForEnd(((await post('/api/jobs', { udf, argList: [{ a: 1 }, { a: 2 }], params: { b: 10 }, format: 'json' })).json() as JobDetail).id);
    expect(first.status).toBe('succeeded');
    const again = await waitForEnd(((await post('/api/jobs', { udf, argList: [{ a: 1 }, { a: 2 }], params: { b: 10 }, format: 'json' })).json() as JobDetail).id);
    expect(again.runs.map((run) => run.cache)).toEqual(['hit', 'hit']);
    const result = await request(base, `/api/jobs/${again.id}/runs/1/result`, { headers: bearer(server) });
    expect(result.json()).toEqual({ sum: 12 });
  });

  it('reports failed runs with their errors, retrying only what may pass', async () => {
    const picky = await waitForEnd(((await post('/api/jobs', { udf: 'Picky', argList: [1, 3, 4], maxRetry: 1 })).json() as JobDetail).id);
    expect(picky.status).toBe('failed');
    expect(picky.runs.map((run) => run.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(picky.runs[1]?.attempts).toBe(2);
    expect(picky.runs[1]?.error).toMatchObject({ code: 'UDF_ERR_RUNTIME', exceptionClass: 'ValueError', line: 4 });
    const failed = await request(base, `/api/jobs/${picky.id}/runs/1/result`, { headers: bearer(server) });
    expect(failed.status).toBe(422);
    expect(JSON.parse(String(failed.headers['x-fused-metadata']))).toMatchObject({ has_exception: true, lineno: 4 });
    // A parameter that does not convert fails at once: another attempt cannot help.
    const bad = await waitForEnd(((await post('/api/jobs', { udf: 'Picky', argList: [{ n: 'seven' }] })).json() as JobDetail).id);
    expect(bad.runs[0]).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'UDF_ERR_PARAM' } });
    // A run that fails once passes on its retry.
    const flaky = await waitForEnd(((await post('/api/jobs', { udf: 'Flaky', argList: [{ n: 1, marker: join(home.root, 'flaky-marker') }], cache: false })).json() as JobDetail).id);
    expect(flaky.runs[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('runs 30 sleeping runs at once on a pool of one worker', async () => {
    const job = await waitForEnd(((await post('/api/jobs', { udf: 'Nap', argList: Array.from({ length: 30 }, (_, n) => n), cache: false })).json() as JobDetail).id);
    expect(job.status).toBe('succeeded');
    const load = server.services.engine.pool.load();
    expect(load.perWorker).toHaveLength(1);
  });

  it('cancels a job: queued runs are dropped and running ones stopped', async () => {
    const created = (await post('/api/jobs', { udf: 'Nap', argList: Array.from({ length: 6 }, (_, n) => ({ n, seconds: 60 })), maxWorkers: 2, cache: false })).json() as JobDetail;
    // Cancelled once two runs are in the worker and four wait.
    await expect.poll(() => server.services.engine.pool.load().running, { timeout: 30_000 }).toBe(2);
    expect(((await request(base, `/api/jobs/${created.id}`, { headers: bearer(server) })).json() as JobDetail).counts).toMatchObject({ running: 2, pending: 4 });
    const cancelled = await post(`/api/jobs/${created.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    const done = await waitForEnd(created.id);
    expect(done.status).toBe('cancelled');
    expect(done.counts.cancelled).toBe(6);
    const unfinished = await request(base, `/api/jobs/${created.id}/runs/0/result`, { headers: bearer(server) });
    expect(unfinished.status).toBe(409);
    expect(unfinished.text).toContain('UDF_ERR_CANCELLED');
  });

  it('refuses malformed jobs with clear errors', async () => {
    const cases: [unknown, RegExp][] = [
      [{ udf: 'Square' }, /"argList" must be a JSON array/],
      [{ udf: 'Square', argList: [] }, /argument list is empty/],
      [{ udf: 42, argList: [1] }, /"udf" must be a workspace UDF name/],
      [{ udf: 'Square', argList: [1], maxWorkers: 0 }, /"maxWorkers" must be a whole number from 1/],
      [{ udf: 'Square', argList: [1], maxRetry: 'two' }, /"maxRetry" must be a whole number/],
      [{ udf: 'Square', argList: [1], cacheMaxAge: 'soon' }, /soon/],
      [{ udf: 'Square', argList: [1], params: [1] }, /"params" must be a JSON object/],
      [{ udf: { code: '' }, argList: [1] }, /code must be the UDF's Python source/],
    ];
    for (const [body, message] of cases) {
      const answer = await post('/api/jobs', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.json() as { error: { message: string } }).error.message).toMatch(message);
    }
    expect((await post('/api/jobs', { udf: 'Nope', argList: [1] })).status).toBe(404);
    expect((await post('/api/jobs', { udf: 'Square', argList: [1], format: 'bmp' })).status).toBe(406);
    const broken = await request(base, '/api/jobs', { method: 'POST', headers: bearer(server), body: '{not json' });
    expect(broken.status).toBe(400);
    expect((await request(base, '/api/jobs')).status).toBe(401);
    expect((await request(base, '/api/jobs/job_0000', { headers: bearer(server) })).json()).toMatchObject({ error: { code: 'UDF_ERR_JOB_NOT_FOUND' } });
    const job = (await post('/api/jobs', { udf: 'Square', argList: [1] })).json() as JobDetail;
    for (const index of ['1', '-1', 'x']) {
      const answer = await request(base, `/api/jobs/${job.id}/runs/${index}/result`, { headers: bearer(server) });
      expect(answer.status).toBe(400);
    }
    const badWait = await request(base, `/api/jobs/${job.id}?since=0&wait=99999999`, { headers: bearer(server) });
    expect(badWait.status).toBe(400);
    expect((await post('/api/jobs', { udf: 'Square', argList: [1] }, { 'fused-recursion': '7' })).status).toBe(508);
    expect((await post('/api/jobs', { udf: 'Square', argList: [1] }, { 'fused-recursion': 'deep' })).status).toBe(400);
  });
});
