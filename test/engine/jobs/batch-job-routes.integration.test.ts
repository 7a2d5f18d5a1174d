import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../src-shared/jobs.js';
import type { RunResponseBody, LogLine } from '../../../src-main/engine/jobs/batch-job.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';

let server: EngineServer;
let base: string;
serverForFile((started) => ({ server, url: base } = started));

const SQUARE = '@fused.udf\ndef square(n: int = 0):\n    print("squaring", n)\n    return {"n": n, "square": n * n}\n';
const PICKY = '@fused.udf\ndef picky(n: int = 0):\n    if n == 2:\n        raise ValueError(f"not {n}")\n    return n\n';
const NAP = '@fused.udf\ndef nap(seconds: float = 5.0):\n    import time\n    time.sleep(seconds)\n    return seconds\n';

/** A start_job body as the official client sends it. */
function jobBody(name: string, code: string, parameters: Record<string, unknown>, input: unknown[] | null = null): Record<string, unknown> {
  return {
    config: { name, steps: [{ type: 'udf', name, metadata: null, ignore_chunk_error: false, n_processes: null, udf: { name, type: 'geopandas_v2', code, headers: [], entrypoint: name, parameters }, input }], metadata: null },
    send_status_email: false,
    additional_env: ['FUSED_CREDENTIAL_PROVIDER=ec2'],
  };
}

function startJob(body: unknown, query = 'instance_type=medium'): Promise<HttpResult> {
  return request(base, `/server/v1/run?${query}`, { method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function finished(id: string): Promise<RunResponseBody> {
  for (;;) {
    const status = (await request(base, `/server/v1/run/by-id/${id}`, { headers: bearer(server) })).json() as RunResponseBody;
    if (status.finished_job_status) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function files(id: string): Promise<{ name: string; url: string }[]> {
  return (await request(base, `/server/v1/run/by-id/${id}/results`, { headers: bearer(server) })).json() as { name: string; url: string }[];
}

/** Fetches a listed file the way the client does: its URL alone, no token. */
function fetchFile(url: string): Promise<HttpResult> {
  const parsed = new URL(url);
  return request(base, `${parsed.pathname}${parsed.search}`);
}

describe('batch jobs run locally', () => {
  it('runs a UDF once as a job that the engine lists, with status, logs and a result file', async () => {
    const started = await startJob(jobBody('square', SQUARE, { n: 7 }));
    expect(started.status).toBe(200);
    const response = started.json() as RunResponseBody;
    // A short job has ended by the time the start answers.
    expect(response).toMatchObject({ job_name: 'square', instance_type: 'medium', job_status: 'Done', status: 'terminated', terminal_status: true, finished_job_status: true, total_tasks: 1, finished_tasks: 1 });
    const jobs = (await request(base, '/api/jobs', { headers: bearer(server) })).json() as { jobs: JobSummary[] };
    expect(jobs.jobs.find((job) => job.id === response.job_id)).toMatchObject({ udf: 'square', status: 'succeeded' });

    const logs = (await request(base, `/server/v1/logs/${response.job_id}`, { headers: bearer(server) })).json() as LogLine[];
    expect(logs.map((line) => line.message)).toEqual([
      expect.stringMatching(/started: 1 run\(s\) of square on this machine \(instance type "medium" is not used locally\)$/),
      'squaring 7',
      expect.stringMatching(/ Done: 1 succeeded, 0 failed, 0 cancelled$/),
    ]);
    const last = logs.at(-1)?.timestamp ?? 0;
    expect(last).toBeGreaterThanOrEqual(logs[0]?.timestamp ?? Infinity);
    expect((await request(base, `/server/v1/logs/${response.job_id}?since_ms=${last}`, { headers: bearer(server) })).json()).toEqual([]);

    const listed = await files(response.job_id);
    expect(listed.map((file) => file.name)).toEqual(['0.json', '0.json.metadata']);
    const result = await fetchFile(listed[0]?.url ?? '');
    expect(result.status).toBe(200);
    expect(result.json()).toEqual({ n: 7, square: 49 });
    const metadata = await fetchFile(listed[1]?.url ?? '');
    expect(metadata.json()).toMatchObject({ stdout: 'squaring 7\n', has_exception: false });
  });

  it('#1: a job\'s result files, the metadata file too, are served sandboxed with nosniff', async () => {
    const response = (await startJob(jobBody('square', SQUARE, {}, [{ n: 3 }]))).json() as RunResponseBody;
    await finished(response.job_id);
    for (const file of await files(response.job_id)) {
      const answer = await fetchFile(file.url);
      expect([file.name, answer.status, answer.headers['content-security-policy'], answer.headers['x-content-type-options']]).toEqual([file.name, 200, 'sandbox allow-scripts', 'nosniff']);
    }
  });

  it('runs one task per input, and a failing task fails the job with its error in the files and logs', async () => {
    const response = (await startJob(jobBody('picky', PICKY, {}, [{ n: 1 }, { n: 2 }, { n: 3 }]))).json() as RunResponseBody;
    const status = await finished(response.job_id);
    expect(status).toMatchObject({ job_status: 'Failed', total_tasks: 3, finished_tasks: 3 });
    const listed = await files(response.job_id);
    expect(listed.map((file) => file.name)).toEqual(['0.json', '0.json.metadata', '1.error', '1.error.metadata', '2.json', '2.json.metadata']);
    const failed = await fetchFile(listed[2]?.url ?? '');
    expect(failed.status).toBe(422);
    expect(JSON.parse(String(failed.headers['x-fused-metadata']))).toMatchObject({ has_exception: true, errormsg: 'not 2', lineno: 4 });
    const logs = (await request(base, `/server/v1/logs/${response.job_id}`, { headers: bearer(server) })).json() as LogLine[];
    expect(logs.map((line) => line.message)).toContain('[run 1] ValueError: not 2 (line 4)');
  });

  it('answers a longer job while it runs, and cancels it', async () => {
    const before = performance.now();
    const response = (await startJob(jobBody('nap', NAP, { seconds: 30 }))).json() as RunResponseBody;
    expect(performance.now() - before).toBeLessThan(4_000);
    expect(response).toMatchObject({ job_status: 'Running', status: 'running', terminal_status: false, finished_job_status: false, finished_tasks: 0 });
    const cancelled = await request(base, `/server/v1/run/by-id/${response.job_id}/cancel`, { method: 'POST', headers: bearer(server) });
    expect(cancelled.status).toBe(200);
    expect(await finished(response.job_id)).toMatchObject({ job_status: 'Canceled', terminal_status: true });
  });
});

describe('malformed batch requests', () => {
  const good = (): Record<string, unknown> => jobBody('square', SQUARE, { n: 1 });
  const withStep = (change: Record<string, unknown>): Record<string, unknown> => {
    const body = good();
    const config = body.config as { steps: Record<string, unknown>[] };
    config.steps[0] = { ...config.steps[0], ...change };
    return body;
  };
  const cases: [string, () => Promise<HttpResult>, number, string][] = [
    ['a body that is not JSON', () => request(base, '/server/v1/run', { method: 'POST', headers: bearer(server), body: '{"config": ' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['no config', () => startJob({}), 400, 'UDF_ERR_BAD_REQUEST'],
    ['steps that are not a list', () => startJob({ config: { steps: 'udf' } }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['two steps', () => startJob({ config: { steps: [(good().config as { steps: unknown[] }).steps[0], (good().config as { steps: unknown[] }).steps[0]] } }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a partition step', () => startJob(withStep({ type: 'partition_geospatial' })), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a step without code', () => startJob(withStep({ udf: { name: 'x', code: 5 } })), 400, 'UDF_ERR_BAD_REQUEST'],
    ['input that is not a list', () => startJob(withStep({ input: { n: 1 } })), 400, 'UDF_ERR_BAD_REQUEST'],
    ['an empty input', () => startJob(withStep({ input: [] })), 400, 'UDF_ERR_BAD_REQUEST'],
    ['n_processes of zero', () => startJob(withStep({ n_processes: 0 })), 400, 'UDF_ERR_BAD_REQUEST'],
    ['n_processes that is huge', () => startJob(withStep({ n_processes: 1e12 })), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a name that is a number', () => startJob({ ...good(), config: { ...(good().config as object), name: 5 } }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a cache_max_age that is text', () => startJob({ ...good(), cache_max_age: 'soon' }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['an instance type with a slash', () => startJob(good(), 'instance_type=a/b'), 400, 'UDF_ERR_BAD_REQUEST'],
    ['no token', () => request(base, '/server/v1/run', { method: 'POST', body: JSON.stringify(good()) }), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['the status of an unknown job', () => request(base, '/server/v1/run/by-id/job_nope', { headers: bearer(server) }), 404, 'UDF_ERR_JOB_NOT_FOUND'],
    ['the logs of an unknown job', () => request(base, '/server/v1/logs/job_nope', { headers: bearer(server) }), 404, 'UDF_ERR_JOB_NOT_FOUND'],
    ['logs since a negative time', () => request(base, '/server/v1/logs/job_nope?since_ms=-5', { headers: bearer(server) }), 400, 'UDF_ERR_BAD_REQUEST'],
    ['a status without the token', () => request(base, '/server/v1/run/by-id/job_nope'), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['a result file without its signature', () => request(base, '/server/v1/run/by-id/job_nope/results/0.json'), 401, 'UDF_ERR_AUTH_REQUIRED'],
    ['a result file with a forged signature', () => request(base, `/server/v1/run/by-id/job_nope/results/0.json?signature=${'0'.repeat(32)}`), 401, 'UDF_ERR_AUTH_REQUIRED'],
  ];

  it.each(cases)('%s gets a clear 4xx', async (_label, send, status, code) => {
    const result = await send();
    expect(result.status).toBe(status);
    const answer = result.json() as { error: { code: string; message: string } };
    expect(answer.error.code).toBe(code);
    expect(answer.error.message.length).toBeGreaterThan(10);
  });

  it('names the local ingestion when the official client sends a partition step', async () => {
    const result = await startJob(withStep({ type: 'partition_geospatial' }));
    const answer = result.json() as { error: { message: string } };
    expect(answer.error.message).toContain('fused.ingest(...).run_batch()');
  });

  it('does not serve another run\'s file under a listed signature', async () => {
    const response = (await startJob(jobBody('square', SQUARE, { n: 2 }))).json() as RunResponseBody;
    const [result] = await files(response.job_id);
    const forged = new URL(result?.url ?? '');
    forged.pathname = forged.pathname.replace(/0\.json$/, '1.json');
    expect((await fetchFile(forged.toString())).status).toBe(401);
  });
});
