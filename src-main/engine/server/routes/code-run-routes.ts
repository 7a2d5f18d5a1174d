/**
 * Code runs: a UDF sent as Fused's `step_config` with the private token. The official client sends
 * one for `fused.run(udf)`, `udf()`, `fused.run_async`, `fused.submit` and `udf.map`.
 *
 * - `POST .../run/udf[/tiles/{z}/{x}/{y}]` answers when the run ends.
 * - `POST .../run/udf/start[/tiles/{z}/{x}/{y}]`, the client's default, names the run with its
 *   `Fused-Run-Id` header and answers the result if the run ends within {@link WAIT_MS}, else 202;
 *   the client then asks `GET .../run/udf/get/{run_id}` (the result, or 202 after {@link WAIT_MS})
 *   until the answer is not 202. Its requests time out after 5 s, its run after 130 s.
 * - `DELETE .../run/udf/get/{run_id}` cancels a started run (UDF Studio's own: an engine that
 *   proxied the run sends it when its client goes away); a run nobody polls is cancelled after
 *   a lease of 60 s anyway (pending-runs.ts).
 *
 * A started run's empty tile answers 200 with its empty result, not 204 as map clients get: the
 * client wants the value, and its async reader accepts only 200 and 422.
 */

import type { IncomingMessage } from 'node:http';
import { udfError } from '../../../../src-shared/errors.js';
import { parseFormatList, type Format } from '../../../../src-shared/formats.js';
import type { EngineRun } from '../../engine-run.js';
import { udfFromStepConfig } from '../../workspace/step-config.js';
import { sendJson, sendRunResult } from '../http-response.js';
import { WAIT_MS } from '../pending-runs.js';
import { abortOnDisconnect } from '../recursion.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';
import { engineRunFor, PRIVATE_BASE, tileOf, type TileAndFormat } from './run-routes.js';

/** The client's run ids are UUIDs; anything of this shape is accepted. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const RUN_ID_HEADER = 'fused-run-id';

export function registerCodeRunRoutes(router: Router, services: ServerServices): void {
  router.add('POST', PRIVATE_BASE, (ctx) => runCode(services, ctx, null));
  router.add('POST', `${PRIVATE_BASE}/tiles/:z/:x/:y`, (ctx) => runCode(services, ctx, tileOf(ctx)));
  router.add('POST', `${PRIVATE_BASE}/start`, (ctx) => startCode(services, ctx, null));
  router.add('POST', `${PRIVATE_BASE}/start/tiles/:z/:x/:y`, (ctx) => startCode(services, ctx, tileOf(ctx)));
  router.add('GET', `${PRIVATE_BASE}/get/:runId`, async (ctx) => {
    requirePrivateToken(services, ctx.req);
    await answerPending(services, ctx, checkedRunId(ctx.params.runId as string));
  });
  router.add('DELETE', `${PRIVATE_BASE}/get/:runId`, (ctx) => {
    requirePrivateToken(services, ctx.req);
    const runId = checkedRunId(ctx.params.runId as string);
    const status = services.pendingRuns.cancel(runId);
    if (status === 'unknown') throw runNotFound(runId);
    sendJson(ctx.res, 200, { run_id: runId, status });
  });
}

/** Runs the code and answers when it ends. */
async function runCode(services: ServerServices, ctx: RouteContext, tile: TileAndFormat | null): Promise<void> {
  requirePrivateToken(services, ctx.req);
  const run = await readCodeRun(ctx, tile);
  // A run stops when its client (or the UDF that asked for it) goes away, unless another request shares it.
  const result = await services.engine.run({ ...run, signal: abortOnDisconnect(ctx.res) });
  await sendRunResult(ctx.req, ctx.res, result, { tile: tile !== null, headers: ctx.headers });
}

/**
 * Starts the code under the client's run id (a repeated start joins the run) and answers its
 * result or a 202. Without a run id nobody could ask for it later, so the answer waits for the run.
 */
async function startCode(services: ServerServices, ctx: RouteContext, tile: TileAndFormat | null): Promise<void> {
  requirePrivateToken(services, ctx.req);
  const runId = runIdOf(ctx.req);
  const run = await readCodeRun(ctx, tile);
  if (runId === null) {
    await sendRunResult(ctx.req, ctx.res, await services.engine.run({ ...run, signal: abortOnDisconnect(ctx.res) }), { tile: false, headers: ctx.headers });
    return;
  }
  // The client leaving (its 5 s are up) must not cancel the run: it comes back for the result. A
  // cancel, or no poll within the lease, does.
  services.pendingRuns.start(runId, (signal) => services.engine.run({ ...run, signal }));
  await answerPending(services, ctx, runId);
}

async function answerPending(services: ServerServices, ctx: RouteContext, runId: string): Promise<void> {
  const end = await services.pendingRuns.wait(runId, WAIT_MS);
  if (end === undefined) throw runNotFound(runId);
  if (end === null) {
    sendJson(ctx.res, 202, { run_id: runId, status: 'running' });
    return;
  }
  if ('error' in end) throw end.error;
  await sendRunResult(ctx.req, ctx.res, end.result, { tile: false, headers: ctx.headers });
}

/** Reads the body (`step_config`, `format`, `cache`; the client's `profile` has no local meaning) into a run. */
async function readCodeRun(ctx: RouteContext, tile: TileAndFormat | null): Promise<EngineRun> {
  const body = await readJsonBody(ctx.req);
  const { udf, parameters } = udfFromStepConfig(body.step_config);
  let formats: Format[] = [];
  if (typeof body.format === 'string') formats = parseFormatList(body.format);
  else if (body.format !== undefined && body.format !== null) throw udfError('UDF_ERR_BAD_REQUEST', '"format" must be a string such as "npy,tiff,parquet,json"');
  if (body.cache !== undefined && typeof body.cache !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', '"cache" must be true or false');
  return engineRunFor(ctx, udf, tile, formats, parameters, body.cache === false ? '0' : null);
}

function runNotFound(runId: string): Error {
  return udfError('UDF_ERR_RUN_NOT_FOUND', `no run "${runId}" (runs are known once started with POST .../run/udf/start and a Fused-Run-Id header; a finished run's answer is kept for 10 minutes, or 30 s once fetched)`);
}

function runIdOf(req: IncomingMessage): string | null {
  const header = req.headers[RUN_ID_HEADER];
  if (header === undefined) return null;
  return checkedRunId(Array.isArray(header) ? header.join(',') : header);
}

function checkedRunId(text: string): string {
  if (!RUN_ID.test(text)) throw udfError('UDF_ERR_BAD_REQUEST', `a run id is up to 128 letters, digits and . _ : - (the client sends a UUID), got "${text.slice(0, 140)}"`);
  return text;
}
