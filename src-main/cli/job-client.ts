/**
 * Where `udf-studio submit` runs its job: on the running engine over HTTP (so the window shows
 * it and its cache is used), or on an engine opened in this process when none runs.
 */

import { UdfStudioError, isErrorCode, udfError } from '../../src-shared/errors.js';
import type { JobDetail } from '../../src-shared/jobs.js';
import type { Engine } from '../engine/engine.js';
import { jobSpecFromBody } from '../engine/jobs/job-request.js';
import type { JobPolling } from './follow-job.js';
import type { RunningEngine } from './running-engine.js';

export type Detail = JobDetail & { version: number };

/** How long one wait for news lasts before the bar is redrawn anyway. */
const WAIT_MS = 1_000;

export interface JobClient extends JobPolling<Detail> {
  /** Where the job runs, for the user. */
  readonly where: string;
  start(body: Record<string, unknown>): Promise<Detail>;
  /** A succeeded run's result bytes. */
  result(id: string, index: number): Promise<Uint8Array>;
}

export class HttpJobClient implements JobClient {
  readonly where: string;

  constructor(private readonly engine: RunningEngine) {
    this.where = `the engine at ${engine.url}`;
  }

  async start(body: Record<string, unknown>): Promise<Detail> {
    return (await this.call('POST', '/api/jobs', body)) as Detail;
  }

  async next(id: string, version: number): Promise<Detail> {
    return (await this.call('GET', `/api/jobs/${encodeURIComponent(id)}?since=${version}&wait=${WAIT_MS}`)) as Detail;
  }

  async result(id: string, index: number): Promise<Uint8Array> {
    const response = await fetch(`${this.engine.url}/api/jobs/${encodeURIComponent(id)}/runs/${index}/result`, { headers: this.headers() });
    if (!response.ok) throw await errorOf(response);
    return new Uint8Array(await response.arrayBuffer());
  }

  async cancel(id: string): Promise<void> {
    await this.call('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`, {});
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.engine.privateToken}`, 'content-type': 'application/json' };
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.engine.url}${path}`, { method, headers: this.headers(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      throw udfError('UDF_ERR_ENGINE_CLOSED', `lost the engine at ${this.engine.url}: ${(error as Error).message}`);
    }
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }
}

export class LocalJobClient implements JobClient {
  readonly where = 'an engine in this process (start "udf-studio serve" to use its workers and show jobs in the window)';

  constructor(private readonly engine: Engine) {}

  async start(body: Record<string, unknown>): Promise<Detail> {
    return this.engine.jobs.submit(await jobSpecFromBody(this.engine, body)).detail();
  }

  async next(id: string, version: number): Promise<Detail> {
    await this.engine.jobs.waitForChange(id, version, WAIT_MS);
    return this.engine.jobs.get(id).detail();
  }

  result(id: string, index: number): Promise<Uint8Array> {
    const result = this.engine.jobs.get(id).result(index);
    if (!result?.outcome.ok) return Promise.reject(new Error(`run ${index} has no result`));
    return Promise.resolve(result.outcome.body);
  }

  cancel(id: string): Promise<void> {
    this.engine.jobs.get(id).cancel();
    return Promise.resolve();
  }
}

async function errorOf(response: Response): Promise<UdfStudioError> {
  let data: { code?: unknown; message?: unknown } = {};
  try {
    data = ((await response.json()) as { error?: typeof data }).error ?? {};
  } catch {
    data = {};
  }
  const code = isErrorCode(data.code) ? data.code : 'UDF_ERR_BAD_REQUEST';
  return new UdfStudioError({ code, message: typeof data.message === 'string' ? data.message : `the engine answered ${response.status}` });
}
