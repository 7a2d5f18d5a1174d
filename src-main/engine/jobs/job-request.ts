/**
 * A submit job as clients ask for it (`POST /api/jobs`, `udf-studio submit`):
 * `{"udf": NAME | {name, code, headers, entrypoint, parameters, metadata}, "argList": [...],
 * "params"?, "maxWorkers"?, "maxRetry"?, "cacheMaxAge"?, "cache"?, "format"?, "cluster"?}`, checked and turned
 * into a {@link JobSpec}. Items of `argList` that are not objects go to the UDF's first parameter.
 */

import { udfError, UdfStudioError } from '../../../src-shared/errors.js';
import { HTTP_DEFAULTS, parseFormatList, type Format } from '../../../src-shared/formats.js';
import { parseMaxAge } from '../../../src-shared/max-age.js';
import type { Engine } from '../engine.js';
import { udfFromStepConfig } from '../workspace/step-config.js';
import type { UdfFolder } from '../workspace/udf-folder.js';
import type { JobSpec } from './job.js';
import { DEFAULT_MAX_RETRY, DEFAULT_MAX_WORKERS, MAX_RETRY_LIMIT, MAX_WORKERS_LIMIT } from './job-manager.js';

/** Reads a job request; a malformed one is a UDF_ERR_BAD_REQUEST naming the field. */
export async function jobSpecFromBody(engine: Engine, body: Record<string, unknown>, depth = 0): Promise<JobSpec> {
  const { udf, parameters } = udfOf(engine, body.udf);
  const argList = await bindItems(engine, udf, body.argList);
  const cluster = await clusterOf(engine, body.cluster);
  return {
    base: {
      udf,
      ...(cluster ? { cluster } : {}),
      tile: null,
      formats: formatsOf(body.format),
      defaults: HTTP_DEFAULTS,
      cacheMaxAge: cacheMaxAgeOf(body),
      ...(depth > 0 ? { depth } : {}),
    },
    argList,
    params: { ...parameters, ...objectOf(body.params, 'params') },
    maxWorkers: wholeNumber(body.maxWorkers, 'maxWorkers', DEFAULT_MAX_WORKERS, 1, MAX_WORKERS_LIMIT),
    maxRetry: wholeNumber(body.maxRetry, 'maxRetry', DEFAULT_MAX_RETRY, 0, MAX_RETRY_LIMIT),
  };
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
  const items: unknown[] = raw;
  if (items.every(isObject)) return items;
  const described = await engine.describe(udf);
  if (!described.ok) throw new UdfStudioError(described.error);
  const first = described.description.parameters[0]?.name;
  if (!first) throw udfError('UDF_ERR_BAD_REQUEST', `${udf.name} takes no parameters, so "argList" items must be objects`);
  return items.map((item) => (isObject(item) ? item : { [first]: item }));
}

/** A named cluster, connected now: an unknown name or an unreachable scheduler fails the request, not each run. */
async function clusterOf(engine: Engine, value: unknown): Promise<string | null> {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !value) throw udfError('UDF_ERR_BAD_REQUEST', '"cluster" must be the name of a configured Dask cluster (udf-studio cluster list)');
  await engine.clusters.connect(value);
  return value;
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

export function wholeNumber(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}
