/**
 * #21: one documented rule of what a job retries, and worker start-up failures as coded errors.
 * The runtime's side of the rule is checked by test/runtime/test_job_retry_rule.py.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RETRYABLE_CODES, UdfStudioError } from '../../../src-shared/errors.js';
import { Job } from '../../../src-main/engine/jobs/job.js';
import type { WorkerPool } from '../../../src-main/engine/runtime/worker-pool.js';
import type { UdfFolder } from '../../../src-main/engine/workspace/udf-folder.js';
import { inlineUdf, makePool, runOf } from '../../helpers/pool.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

let home: TestHome;

beforeAll(() => {
  home = makeTestHome();
});

afterAll(() => home.remove());

/** The codes docs/errors.md lists under "Retried by jobs". */
function documentedRetries(): string[] {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/errors.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Retried by jobs'));
  const bullets = section.split('\n').filter((line) => line.startsWith('- '));
  return bullets.flatMap((line) => [...(line.split(':')[0] ?? '').matchAll(/`(UDF_ERR_[A-Z_]+)`/g)].map((match) => match[1] as string));
}

/** The coded error a pool's start fails with. */
async function startError(pool: WorkerPool): Promise<UdfStudioError> {
  const error = await pool.start().then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(UdfStudioError);
  return error as UdfStudioError;
}

/** Runs a one-run job with `pool` and answers the run's final record once the job has ended. */
function runJob(pool: WorkerPool): Promise<{ status: string; attempts: number; code: string | undefined }> {
  const udf = inlineUdf('Echo', '@fused.udf\ndef udf(i: int = 0):\n    return i\n');
  const folder: UdfFolder = { kind: 'udf', name: 'Echo', dir: '', udfType: 'auto', meta: null, readme: null, description: null, source: udf };
  return new Promise((resolve) => {
    const job = new Job('retry-rule', { base: { udf: folder }, argList: [{ i: 1 }], maxWorkers: 1, maxRetry: 2 }, join(home.root, 'jobs', 'retry-rule'),
      async (run) => ({ outcome: await pool.run(runOf(run.udf.source, run.params ?? {})), cache: 'off', etag: null }),
      (changed) => {
        if (changed.summary().status === 'running') return;
        const [record] = changed.detail().runs;
        resolve({ status: record?.status ?? '', attempts: record?.attempts ?? 0, code: record?.error?.code });
      });
    job.start();
  });
}

describe('#21: what jobs retry, and worker start-up failures', () => {
  it('#21: the engine\'s jobs retry exactly the codes docs/errors.md lists (the runtime\'s jobs the same)', () => {
    const documented = documentedRetries();
    expect(documented.length).toBeGreaterThan(0);
    expect([...RETRYABLE_CODES].sort()).toEqual([...documented].sort());
  });

  it('#21: a worker that exits before it is ready is UDF_ERR_WORKER_START, and a job\'s run fails with it at once', async () => {
    // /bin/false is an interpreter that starts and exits at once, as a broken runtime does.
    const pool = makePool(home, { python: '/bin/false' });
    const error = await startError(pool);
    expect(error.code).toBe('UDF_ERR_WORKER_START');
    expect(error.message).toMatch(/^no worker could start: the worker exited before it was ready/);
    expect(await runJob(pool)).toEqual({ status: 'failed', attempts: 1, code: 'UDF_ERR_WORKER_START' });
    await pool.close();
  });

  it('#21: a missing interpreter is UDF_ERR_RUNTIME_MISSING', async () => {
    const pool = makePool(home, { python: join(home.root, 'no-such-python') });
    const error = await startError(pool);
    expect(error.code).toBe('UDF_ERR_RUNTIME_MISSING');
    expect(error.message).toContain('no worker could start');
    await pool.close();
  });
});
