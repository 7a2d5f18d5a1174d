import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDetail } from '../../../src-shared/jobs.js';
import type { LocalCluster } from '../../../src-main/engine/cluster/local-cluster.js';
import { startEngineServer, type EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { startDaskCluster } from '../../helpers/dask-cluster.js';
import { bearer, request, type HttpResult } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;
let server: EngineServer;
let cluster: LocalCluster;

type Detail = JobDetail & { version: number };

const UDFS: Record<string, string> = {
  // Which process ran it: the Dask worker's pid. With a trace file, it notes when it begins and ends.
  WhoRuns: [
    '@fused.udf',
    'def udf(n: int = 0, seconds: float = 0.3, trace: str = ""):',
    '    import os, time',
    '    if trace:',
    '        with open(trace, "a") as f:',
    '            f.write(f"began {n} {os.getpid()}\\n")',
    '    time.sleep(seconds)',
    '    if trace:',
    '        with open(trace, "a") as f:',
    '            f.write(f"ended {n}\\n")',
    '    print("run", n)',
    '    if n < 0:',
    '        raise ValueError(f"negative: {n}")',
    '    return {"n": n, "pid": os.getpid()}',
    '',
  ].join('\n'),
};

beforeAll(async () => {
  home = makeTestHome();
  for (const [name, code] of Object.entries(UDFS)) home.write({ [`ws/${name}/meta.json`]: metaJson(name), [`ws/${name}/${name}.py`]: code });
  [cluster, server] = await Promise.all([
    startDaskCluster(home),
    startEngineServer({ env: home.env, workspaces: [join(home.root, 'ws')], port: 0, poolSize: 1, preload: [] }),
  ]);
  const added = await post('/api/clusters', { name: 'lab', address: cluster.address });
  expect(added.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
  home?.remove();
});

function post(path: string, body: unknown): Promise<HttpResult> {
  return request(server.url, path, { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function get(path: string): Promise<HttpResult> {
  return request(server.url, path, { headers: bearer(server) });
}

async function submit(body: Record<string, unknown>): Promise<Detail> {
  const answer = await post('/api/jobs', { udf: 'WhoRuns', maxRetry: 0, format: 'json', ...body });
  expect(answer.status, answer.text).toBe(201);
  return answer.json() as Detail;
}

async function waitFor(id: string, done: (detail: Detail) => boolean): Promise<Detail> {
  let detail = (await get(`/api/jobs/${id}`)).json() as Detail;
  while (!done(detail)) detail = (await get(`/api/jobs/${id}?since=${detail.version}&wait=5000`)).json() as Detail;
  return detail;
}

const ended = (detail: Detail): boolean => detail.status !== 'running';

/** What the runs given `trace` noted: the pids of the workers they began in, and whether each that began has ended. */
function traced(trace: string): { pids: number[]; allEnded: boolean } {
  const lines = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ')) : [];
  const began = lines.filter(([what]) => what === 'began');
  const endedRuns = new Set(lines.filter(([what]) => what === 'ended').map(([, n]) => n));
  return { pids: began.map(([, , pid]) => Number(pid)), allEnded: began.every(([, n]) => endedRuns.has(n)) };
}

async function resultOf(id: string, index: number): Promise<{ n: number; pid: number }> {
  const answer = await get(`/api/jobs/${id}/runs/${index}/result`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json() as { n: number; pid: number };
}

describe('submit jobs on a Dask cluster (a real scheduler and two workers on loopback)', () => {
  it('spreads the runs over both workers, with stdout, errors and lines as for local runs', async () => {
    const job = await submit({ cluster: 'lab', argList: [0, 1, 2, 3, 4, 5, 6, 7, -1] });
    expect(job.cluster).toBe('lab');
    const detail = await waitFor(job.id, ended);
    expect(detail.counts).toMatchObject({ succeeded: 8, failed: 1 });
    const pids = new Set<number>();
    for (let index = 0; index < 8; index += 1) {
      const value = await resultOf(job.id, index);
      expect(value.n).toBe(index);
      pids.add(value.pid);
    }
    expect([...pids].sort()).toEqual(cluster.workers.map((worker) => worker.pid).sort());
    const workers = new Set(detail.runs.map((run) => run.worker));
    expect(workers.size).toBe(2);
    const failed = detail.runs[8];
    expect(failed?.error).toMatchObject({ code: 'UDF_ERR_RUNTIME', exceptionClass: 'ValueError', line: 13 });
    const failure = await get(`/api/jobs/${job.id}/runs/8/result`);
    expect(failure.status).toBe(422);
    expect(JSON.parse(failure.headers['x-fused-metadata'] as string)).toMatchObject({ stdout: 'run -1\n' });
    const success = await get(`/api/jobs/${job.id}/runs/3/result`);
    expect(JSON.parse(success.headers['x-fused-metadata'] as string)).toMatchObject({ stdout: 'run 3\n' });
  });

  it('answers a repeated submit from the local result cache, keyed as a local run', async () => {
    const args = [10, 11, 12];
    const first = await waitFor((await submit({ cluster: 'lab', argList: args })).id, ended);
    expect(first.runs.map((run) => run.cache)).toEqual(['miss', 'miss', 'miss']);
    const again = await waitFor((await submit({ cluster: 'lab', argList: args })).id, ended);
    expect(again.runs.map((run) => run.cache)).toEqual(['hit', 'hit', 'hit']);
    // The same key as a local run: the local engine's job finds the cluster's results.
    const local = await waitFor((await submit({ argList: args })).id, ended);
    expect(local.runs.map((run) => run.cache)).toEqual(['hit', 'hit', 'hit']);
    expect((await resultOf(local.id, 0)).pid).toBe((await resultOf(first.id, 0)).pid);
  });

  it('completes the job when a worker is killed mid-task: Dask runs its tasks again on the other', async () => {
    const [victim, survivor] = cluster.workers;
    const trace = join(home.root, 'killed.trace');
    const job = await submit({ cluster: 'lab', argList: [20, 21, 22, 23, 24, 25, 26, 27], params: { seconds: 2, trace }, cache: false });
    // Killed as soon as the victim has begun a run.
    await expect.poll(() => traced(trace).pids, { timeout: 30_000 }).toContain(victim?.pid);
    victim?.child.kill('SIGKILL');
    const detail = await waitFor(job.id, ended);
    expect(detail.status).toBe('succeeded');
    for (let index = 0; index < 8; index += 1) {
      // A 2 s run cannot have finished in the victim before it was killed.
      expect((await resultOf(job.id, index)).pid).toBe(survivor?.pid);
    }
    await cluster.addWorker();
  }, 60_000);

  it('cancels a cluster job: waiting and running runs end cancelled at once', async () => {
    const trace = join(home.root, 'cancelled.trace');
    const job = await submit({ cluster: 'lab', argList: [40, 41, 42, 43], params: { seconds: 3, trace }, cache: false });
    await waitFor(job.id, (detail) => detail.counts.running > 0);
    expect((await post(`/api/jobs/${job.id}/cancel`, {})).status).toBe(200);
    const detail = await waitFor(job.id, ended);
    expect(detail.status).toBe('cancelled');
    expect(detail.counts.cancelled).toBe(4);
    // The cancelled tasks' threads finish their sleep on the workers; the next test starts once they have.
    await expect.poll(() => traced(trace).allEnded, { timeout: 15_000 }).toBe(true);
  }, 30_000);

  it('refuses jobs for unknown clusters, malformed names and unreachable schedulers, at submit', async () => {
    const unknown = await post('/api/jobs', { udf: 'WhoRuns', argList: [1], cluster: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'UDF_ERR_CLUSTER_UNKNOWN' } });
    expect(unknown.text).toContain('configured: lab');
    const malformed = await post('/api/jobs', { udf: 'WhoRuns', argList: [1], cluster: 5 });
    expect(malformed.status).toBe(400);
    expect((await post('/api/clusters', { name: 'gone', address: 'tcp://127.0.0.1:9' })).status).toBe(201);
    const unreachable = await post('/api/jobs', { udf: 'WhoRuns', argList: [1], cluster: 'gone' });
    expect(unreachable.status).toBe(502);
    expect(unreachable.json()).toMatchObject({ error: { code: 'UDF_ERR_CLUSTER_UNREACHABLE' } });
    expect(unreachable.text).toContain('tcp://127.0.0.1:9');
    expect((await request(server.url, '/api/clusters/gone', { method: 'DELETE', headers: bearer(server) })).status).toBe(200);
  }, 30_000);

  it('serves the cluster settings for the window, refusing malformed bodies and missing tokens', async () => {
    expect((await get('/api/clusters')).json()).toEqual({ clusters: [{ name: 'lab', address: cluster.address }] });
    expect((await request(server.url, '/api/clusters')).status).toBe(401);
    expect((await request(server.url, '/api/clusters', { method: 'POST', body: '{}' })).status).toBe(401);
    const bad: Array<[unknown, number, RegExp]> = [
      [{}, 400, /name\\?" and \\?"address\\?" strings/],
      [{ name: 'x' }, 400, /name\\?" and \\?"address\\?" strings/],
      [{ name: 'x', address: 8786 }, 400, /name\\?" and \\?"address\\?" strings/],
      [{ name: 'x', address: 'http://a:1' }, 400, /must start with tcp:\/\//],
      [{ name: 'x y', address: 'tcp://a:1' }, 400, /not a usable cluster name/],
      [{ name: 'lab', address: 'tcp://a:1' }, 400, /already exists/],
      [[1, 2], 400, /JSON object/],
    ];
    for (const [body, status, message] of bad) {
      const answer = await post('/api/clusters', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.text).toMatch(message);
    }
    const notJson = await request(server.url, '/api/clusters', { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(400);
    const unknown = await request(server.url, '/api/clusters/nope', { method: 'DELETE', headers: bearer(server) });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'UDF_ERR_CLUSTER_UNKNOWN' } });
    expect((await get('/api/clusters')).json()).toEqual({ clusters: [{ name: 'lab', address: cluster.address }] });
  });

  it('keeps the finished runs and fails the rest clearly when the scheduler stops mid-job', async () => {
    const argList = [30, 31, 32, 33, ...[34, 35, 36, 37].map((n) => ({ n, seconds: 60 }))];
    const job = await submit({ cluster: 'lab', argList, params: { seconds: 0.1 }, cache: false });
    await waitFor(job.id, (detail) => detail.counts.succeeded >= 4);
    cluster.scheduler.child.kill('SIGKILL');
    const detail = await waitFor(job.id, ended);
    expect(detail.status).toBe('failed');
    expect(detail.runs.slice(0, 4).map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (const run of detail.runs.slice(4)) {
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ code: 'UDF_ERR_CLUSTER_LOST' });
      expect(run.error?.message).toContain(cluster.address);
    }
    expect((await resultOf(job.id, 2)).n).toBe(32);
    const next = await post('/api/jobs', { udf: 'WhoRuns', argList: [1], cluster: 'lab' });
    expect(next.status).toBe(502);
    expect(next.json()).toMatchObject({ error: { code: 'UDF_ERR_CLUSTER_UNREACHABLE' } });
  }, 60_000);
});
