/**
 * Submit jobs over HTTP (private token): for `fused.submit` from Python, `udf-studio submit` and
 * the window.
 *
 * - `POST /api/jobs` starts a job (the body is read by `jobs/job-request.ts`).
 * - `GET /api/jobs`, `GET /api/jobs/{id}[?since=VERSION&wait=MS][&runs=false]` (long-poll until the
 *   job moves past VERSION; `runs=false` leaves the runs out, for a large job's progress),
 *   `POST /api/jobs/{id}/cancel`, `GET /api/jobs/{id}/runs/{index}/result`.
 */

import { udfError } from '../../../../src-shared/errors.js';
import { jobSpecFromBody, wholeNumber } from '../../jobs/job-request.js';
import { sendJson, sendRunResult } from '../http-response.js';
import { parentRun, recursionDepth } from '../recursion.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

/** The longest a long-poll waits before answering with the unchanged job. */
const MAX_WAIT_MS = 30_000;

export function registerJobRoutes(router: Router, services: ServerServices): void {
  // Looked up per request: while the runtime is being set up there is no engine (a 503).
  const jobs = (): ServerServices['engine']['jobs'] => services.engine.jobs;
  router.add('GET', '/api/jobs', (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, { jobs: jobs().list() });
  });

  router.add('POST', '/api/jobs', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const depth = recursionDepth(ctx.req);
    const body = await readJsonBody(ctx.req);
    const job = jobs().submit(await jobSpecFromBody(services.engine, body, depth), parentRun(ctx.req));
    sendJson(ctx.res, 201, job.detail());
  });

  router.add('GET', '/api/jobs/:id', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const id = ctx.params.id as string;
    const since = ctx.query.get('since');
    if (since !== null) {
      const version = wholeNumber(Number(since), 'since', 0, 0, Number.MAX_SAFE_INTEGER);
      const wait = wholeNumber(Number(ctx.query.get('wait') ?? MAX_WAIT_MS), 'wait', MAX_WAIT_MS, 0, MAX_WAIT_MS);
      await jobs().waitForChange(id, version, wait);
    }
    const job = jobs().get(id);
    sendJson(ctx.res, 200, ctx.query.get('runs') === 'false' ? { ...job.summary(), version: job.version } : job.detail());
  });

  router.add('POST', '/api/jobs/:id/cancel', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const job = jobs().get(ctx.params.id as string);
    job.cancel();
    sendJson(ctx.res, 200, job.summary());
  });

  router.add('GET', '/api/jobs/:id/runs/:index/result', (ctx) => sendJobResult(services, ctx));
}

async function sendJobResult(services: ServerServices, ctx: RouteContext): Promise<void> {
  requirePrivateToken(services, ctx.req);
  const job = services.engine.jobs.get(ctx.params.id as string);
  const text = ctx.params.index as string;
  const index = /^\d{1,9}$/.test(text) ? Number(text) : -1;
  const total = job.summary().total;
  if (index < 0 || index >= total) throw udfError('UDF_ERR_BAD_REQUEST', `run index must be 0 to ${total - 1}, got "${text}"`);
  const result = job.result(index);
  if (!result) throw udfError('UDF_ERR_BAD_REQUEST', `run ${index} has not finished yet`);
  await sendRunResult(ctx.req, ctx.res, result, { tile: false, headers: ctx.headers });
}
