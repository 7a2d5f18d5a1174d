/**
 * Submit jobs over HTTP (private token): for `fused.submit` from Python, `udf-studio submit` and
 * the window.
 *
 * - `POST /api/jobs` starts a job: `{"udf": NAME | {name, code, headers, entrypoint, ...},
 *   "argList": [...], "params"?, "maxWorkers"?, "maxRetry"?, "cacheMaxAge"?, "cache"?, "format"?}`.
 *   Items of `argList` that are not objects are bound to the UDF's first parameter.
 * - `GET /api/jobs`, `GET /api/jobs/{id}[?since=VERSION&wait=MS]` (long-poll until the job moves
 *   past VERSION), `POST /api/jobs/{id}/cancel`, `GET /api/jobs/{id}/runs/{index}/result`.
 */

import { udfError, UdfStudioError } from '../../../../src-shared/errors.js';
import { HTTP_DEFAULTS, parseFormatList, type Format } from '../../../../src-shared/formats.js';
import { parseMaxAge } from '../../../../src-shared/max-age.js';
import type { Engine } from '../../engine.js';
import { DEFAULT_MAX_RETRY, DEFAULT_MAX_WORKERS, MAX_RETRY_LIMIT, MAX_WORKERS_LIMIT } from '../../jobs/job-manager.js';
import type { UdfFolder } from '../../workspace/udf-folder.js';
import { sendJson, sendRunResult } from '../http-response.js';
import { recursionDepth } from '../recursion.js';
import { readJsonBody } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';
import { udfFromStepConfig } from './run-routes.js';

/** The longest a long-poll waits before answering with the unchanged job. */
const MAX_WAIT_MS = 30_000;

export function registerJobRoutes(router: Router, services: ServerServices): void {
  const jobs = services.engine.jobs;
  router.add('GET', '/api/jobs', (ctx) => {
    requirePrivateToken(services, ctx.req);
    sendJson(ctx.res, 200, { jobs: jobs.list() });
  });

  router.add('POST', '/api/jobs', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const depth = recursionDepth(ctx.req);
    const body = await readJsonBody(ctx.req);
    const { udf, parameters } = udfOf(services.engine, body.udf);
    const argList = await bindItems(services.engine, udf, body.argList);
    const job = jobs.submit({
      base: {
        udf,
        tile: null,
        formats: formatsOf(body.format),
        defaults: HTTP_DEFAULTS,
        cacheMaxAge: cacheMaxAgeOf(body),
        ...(depth > 0 ? { depth } : {}),
      },
      argList,
      params: { ...parameters, ...objectOf(body.params, 'params') },
      maxWorkers: boundedInteger(body.maxWorkers, 'maxWorkers', DEFAULT_MAX_WORKERS, 1, MAX_WORKERS_LIMIT),
      maxRetry: boundedInteger(body.maxRetry, 'maxRetry', DEFAULT_MAX_RETRY, 0, MAX_RETRY_LIMIT),
    });
    sendJson(ctx.res, 201, job.detail());
  });

  router.add('GET', '/api/jobs/:id', async (ctx) => {
    requirePrivateToken(services, ctx.req);
    const id = ctx.params.id as string;
    const since = ctx.query.get('since');
    if (since !== null) {
      const version = boundedInteger(Number(since), 'since', 0, 0, Number.MAX_SAFE_INTEGER);
      const wait = boundedInteger(Number(ctx.query.get('wait') ?? MAX_WAIT_MS), 'wait', MAX_WAIT_MS, 0, MAX_WAIT_MS);
      await jobs.waitForChange(id, version, wait);
    }
    sendJson(ctx.res, 200, jobs.get(id).detail());
  });

  router.add('POST', '/api/jobs/:id/cancel', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const job = jobs.get(ctx.params.id as string);
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
  if ('outcome' in result) {
    await sendRunResult(ctx.req, ctx.res, result, { tile: false, headers: ctx.headers });
    return;
  }
  const { run, stdout, stderr } = result;
  if (!run.error || run.status === 'pending' || run.status === 'running') {
    throw udfError('UDF_ERR_BAD_REQUEST', `run ${index} has not finished (it is ${run.status})`);
  }
  const outcome = { ok: false as const, error: run.error, stdout, stderr, durationMs: run.durationMs ?? 0 };
  await sendRunResult(ctx.req, ctx.res, { outcome, cache: 'off', etag: null }, { tile: false, headers: ctx.headers });
}

/** The UDF a job runs: a workspace name, or inline code in the shape of a code run's `step_config.udf`. */
function udfOf(engine: Engine, value: unknown): { udf: UdfFolder; parameters: Record<string, unknown> } {
  if (typeof value === 'string' && value) return { udf: engine.workspace.resolveName(value), parameters: {} };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return udfFromStepConfig({ type: 'udf', udf: value });
  throw udfError('UDF_ERR_BAD_REQUEST', '"udf" must be a workspace UDF name or an object with the UDF\'s "code"');
}

/** Objects pass as they are; other items are bound to the UDF's first parameter. */
async function bindItems(engine: Engine, udf: UdfFolder, raw: unknown): Promise<Record<string, unknown>[]> {
  if (!Array.isArray(raw)) throw udfError('UDF_ERR_BAD_REQUEST', '"argList" must be a JSON array (of values, or of objects of parameters)');
  const isObject = (item: unknown): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item);
  if (raw.every(isObject)) return raw;
  const described = await engine.describe(udf);
  if (!described.ok) throw new UdfStudioError(described.error);
  const first = described.description.parameters[0]?.name;
  if (!first) throw udfError('UDF_ERR_BAD_REQUEST', `${udf.name} takes no parameters, so "argList" items must be objects`);
  return raw.map((item) => (isObject(item) ? item : { [first]: item }));
}

function formatsOf(value: unknown): Format[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', '"format" must be a string such as "parquet,npy,json"');
  return parseFormatList(value);
}

function cacheMaxAgeOf(body: Record<string, unknown>): string | number | null {
  if (body.cache === false) return 0;
  if (body.cache !== undefined && typeof body.cache !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', '"cache" must be true or false');
  const value = body.cacheMaxAge;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw udfError('UDF_ERR_BAD_REQUEST', '"cacheMaxAge" must be seconds or a string like "10m"');
  parseMaxAge(value);
  return value;
}

function objectOf(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be a JSON object`);
  return value as Record<string, unknown>;
}

function boundedInteger(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}
