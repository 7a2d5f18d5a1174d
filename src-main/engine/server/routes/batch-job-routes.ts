/**
 * Fused's batch job routes, for jobs the engine runs locally (jobs/batch-job.ts): start, status,
 * cancel, logs and results, as the official client's FusedAPI sends them. They answer for any job of
 * the engine, so a job submitted another way can be watched the same way.
 *
 * - `POST /server/v1/run` (start_job) starts a job; it answers once the job has ended or after
 *   {@link START_WAIT_MS}, so a short job is done by the client's first status check (it checks
 *   every 5 s).
 * - `GET /server/v1/run/by-id/{id}` (get_status, wait_for_job), `POST .../cancel` (cancel_job),
 *   `GET /server/v1/logs/{id}` (get_logs), `GET .../results` (get_job_results: signed file URLs).
 * - `GET .../results/{file}?signature=...`: one result file. The client fetches these without its
 *   token (as from a bucket), so each URL carries an HMAC of the job and file, made with a key that
 *   lives as long as this server.
 */

import { udfError } from '../../../../src-shared/errors.js';
import { batchJobSpec, jobLogs, parseResultFile, resultFiles, runResponse } from '../../jobs/batch-job.js';
import type { Job } from '../../jobs/job.js';
import { wholeNumber } from '../../jobs/job-request.js';
import { fusedMetadata, sendJson, sendRunResult, UDF_OUTPUT_HEADERS } from '../http-response.js';
import { ephemeralSigner } from '../../tokens/url-signature.js';
import { parentRun, recursionDepth } from '../recursion.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

/** How long a start waits for its job to end before answering that it runs. */
export const START_WAIT_MS = 2_000;
const RUN_BASE = '/server/v1/run';

export function registerBatchJobRoutes(router: Router, services: ServerServices): void {
  const signer = ephemeralSigner();
  const job = (ctx: RouteContext): Job => {
    requirePrivateToken(services, ctx.req);
    return services.engine.jobs.get(ctx.params.id as string);
  };

  router.add('POST', RUN_BASE, async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const depth = recursionDepth(ctx.req);
    const body = await readJsonBody(ctx.req);
    const instanceType = ctx.query.get('instance_type') || null;
    const started = services.engine.jobs.submit(await batchJobSpec(services.engine, body, instanceType, depth), parentRun(ctx.req));
    const deadline = Date.now() + START_WAIT_MS;
    while (!started.finishedAt && Date.now() < deadline) await services.engine.jobs.waitForChange(started.id, started.version, deadline - Date.now());
    sendJson(ctx.res, 200, runResponse(started));
  });
  router.add('GET', `${RUN_BASE}/by-id/:id`, (ctx) => sendJson(ctx.res, 200, runResponse(job(ctx))));
  router.add('POST', `${RUN_BASE}/by-id/:id/cancel`, (ctx) => {
    const cancelled = job(ctx);
    cancelled.cancel();
    sendJson(ctx.res, 200, runResponse(cancelled));
  });
  router.add('GET', '/server/v1/logs/:id', (ctx) => {
    const since = ctx.query.get('since_ms');
    const sinceMs = since === null ? null : wholeNumber(Number(since), 'since_ms', 0, 0, Number.MAX_SAFE_INTEGER);
    sendJson(ctx.res, 200, jobLogs(job(ctx), sinceMs));
  });
  router.add('GET', `${RUN_BASE}/by-id/:id/results`, (ctx) => {
    const listed = job(ctx);
    const origin = `http://${ctx.req.headers.host ?? `127.0.0.1:${ctx.req.socket.localPort ?? ''}`}`;
    sendJson(ctx.res, 200, resultFiles(listed).map((name) => ({
      name,
      url: `${origin}${RUN_BASE}/by-id/${encodeURIComponent(listed.id)}/results/${name}?signature=${signer.sign(resultMessage(listed.id, name))}`,
    })));
  });
  router.add('GET', `${RUN_BASE}/by-id/:id/results/:file`, async (ctx) => {
    const id = ctx.params.id as string;
    const name = ctx.params.file as string;
    if (!signer.verify(resultMessage(id, name), ctx.query.get('signature') ?? '')) {
      throw udfError('UDF_ERR_AUTH_REQUIRED', 'a result file URL needs the signature its listing gave (GET .../results with the private token lists them)');
    }
    const owner = services.engine.jobs.get(id);
    const file = parseResultFile(name);
    const result = file && file.index < owner.summary().total ? owner.result(file.index) : null;
    if (!file || !result) throw udfError('UDF_ERR_NOT_FOUND', `job ${id} has no result file "${name}"`);
    if (file.metadata) {
      ctx.res.writeHead(200, { ...UDF_OUTPUT_HEADERS, 'content-type': 'application/json' });
      ctx.res.end(fusedMetadata(result.outcome));
      return;
    }
    await sendRunResult(ctx.req, ctx.res, result, { tile: false, headers: ctx.headers });
  });
}

function resultMessage(jobId: string, name: string): string {
  return `${jobId}/${name}`;
}
