/**
 * A job a UDF starts (`udf.map`, `fused.submit`) belongs to the run of that UDF: when the run
 * fails, times out or is cancelled, the job's runs stop too, instead of keeping the workers busy
 * for nobody. Real workers, a real server, a short time limit.
 */

import { describe, expect, it } from 'vitest';
import type { JobDetail, JobSummary } from '../../../src-shared/jobs.js';
import { PARENT_RUN_HEADER } from '../../../src-shared/nesting.js';
import type { EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { bearer, request, serverForFile, type HttpResult } from '../../helpers/server.js';

const TIME_LIMIT_MS = 15_000;
const ITEMS = 4;

/** Each UDF starts a job of `Nap` over ITEMS values, then does what its name says. */
const UDFS: Record<string, string> = {
  Nap: '@fused.udf\ndef udf(n: int = 0, seconds: float = 600.0):\n    import time\n    time.sleep(seconds)\n    return {"n": n}\n',
  Waits: `@fused.udf\ndef udf():\n    pool = fused.load("Nap").map(list(range(${ITEMS})))\n    pool.wait()\n    return {"done": True}\n`,
  Raises: `@fused.udf\ndef udf():\n    fused.load("Nap").map(list(range(${ITEMS})))\n    raise ValueError("gave up")\n`,
  Hands_Off: `@fused.udf\ndef udf():\n    fused.load("Nap").map([{"n": n, "seconds": 0.1} for n in range(${ITEMS})])\n    return {"started": True}\n`,
};

let server: EngineServer;

serverForFile((started) => ({ server } = started), { udfs: UDFS, poolSize: 1, options: { timeoutMs: TIME_LIMIT_MS } });

function runUdf(name: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/api/udfs/${name}/run`, {
    method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: '{"params":{}}', ...(signal ? { signal } : {}),
  });
}

async function jobs(): Promise<JobSummary[]> {
  return ((await request(server.url, '/api/jobs', { headers: bearer(server) })).json() as { jobs: JobSummary[] }).jobs;
}

/** The job of `Nap` the latest run started (jobs are listed newest first; the tests run one at a time). */
async function latestNapJob(known: Set<string>): Promise<JobSummary | undefined> {
  return (await jobs()).find((job) => job.udf === 'Nap' && !known.has(job.id));
}

async function waitForEnd(id: string): Promise<JobDetail & { version: number }> {
  let detail = (await request(server.url, `/api/jobs/${id}`, { headers: bearer(server) })).json() as JobDetail & { version: number };
  while (detail.status === 'running') {
    detail = (await request(server.url, `/api/jobs/${id}?since=${detail.version}&wait=5000`, { headers: bearer(server) })).json() as typeof detail;
  }
  return detail;
}

describe('jobs started by a run end with it when it fails', () => {
  it('cancels the job of a run that timed out, so the next run finds the worker free', async () => {
    const known = new Set((await jobs()).map((job) => job.id));
    const answer = await runUdf('Waits');
    expect(answer.status).toBe(504);
    expect(await answer.text()).toContain('UDF_ERR_TIMEOUT');
    const job = await latestNapJob(known);
    expect(job?.startedBy).toBe('Waits');
    const done = await waitForEnd(job?.id ?? '');
    // Before, the job went on: each run to the limit, twice retried, then "failed".
    expect(done.status).toBe('cancelled');
    expect(done.counts).toMatchObject({ cancelled: ITEMS, failed: 0, succeeded: 0 });
    await expect.poll(() => server.services.engine.pool.load().running, { timeout: 30_000 }).toBe(0);
  });

  it('cancels the job of a run whose client went away', async () => {
    const known = new Set((await jobs()).map((job) => job.id));
    const controller = new AbortController();
    const answered = runUdf('Waits', controller.signal).catch((error: unknown) => error);
    await expect.poll(async () => (await latestNapJob(known))?.counts.running, { timeout: 30_000 }).toBeGreaterThan(0);
    controller.abort();
    expect(await answered).toBeInstanceOf(Error);
    const job = await latestNapJob(known);
    const done = await waitForEnd(job?.id ?? '');
    expect(done.status).toBe('cancelled');
    expect(done.counts.cancelled).toBe(ITEMS);
  });

  it('cancels the job of a run whose UDF raised, keeping the one of a run that succeeded', async () => {
    const known = new Set((await jobs()).map((job) => job.id));
    const raised = await runUdf('Raises');
    expect(raised.status).toBe(422);
    const abandoned = await latestNapJob(known);
    expect((await waitForEnd(abandoned?.id ?? '')).status).toBe('cancelled');
    known.add(abandoned?.id ?? '');
    const handedOff = await runUdf('Hands_Off');
    expect(handedOff.status).toBe(200);
    const kept = await latestNapJob(known);
    const done = await waitForEnd(kept?.id ?? '');
    expect(done.status).toBe('succeeded');
    expect(done.counts.succeeded).toBe(ITEMS);
  });

  it('names no starter for a job not started by a run, nor for one naming a run that ended', async () => {
    const direct = (await request(server.url, '/api/jobs', {
      method: 'POST', headers: { ...bearer(server), 'content-type': 'application/json' }, body: JSON.stringify({ udf: 'Nap', argList: [{ seconds: 0 }] }),
    })).json() as JobDetail;
    expect(direct.startedBy).toBeUndefined();
    const late = (await request(server.url, '/api/jobs', {
      method: 'POST',
      headers: { ...bearer(server), 'content-type': 'application/json', [PARENT_RUN_HEADER]: '0b6f8a52-3c1d-4e8f-9a7b-2d5e6f708192' },
      body: JSON.stringify({ udf: 'Nap', argList: [{ seconds: 0 }] }),
    })).json() as JobDetail;
    expect(late.startedBy).toBeUndefined();
    expect((await waitForEnd(late.id)).status).toBe('succeeded');
  });

  it('refuses a parent run header that is not a run id', async () => {
    const answer: HttpResult = await request(server.url, '/api/jobs', {
      method: 'POST',
      headers: { ...bearer(server), 'content-type': 'application/json', [PARENT_RUN_HEADER]: 'not-a-run' },
      body: JSON.stringify({ udf: 'Nap', argList: [1] }),
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(PARENT_RUN_HEADER);
  });
});
