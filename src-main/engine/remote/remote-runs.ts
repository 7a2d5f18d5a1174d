/**
 * Runs on a remote engine with the requests the official client (fused-py) sends for the same call,
 * so the remote can be Fused's hosted API or another UDF Studio:
 *
 * - local code (`fused.run(udf)`): `POST /server/v1/realtime/{client_id}/api/v1/run/udf/start`
 *   (`/start/tiles/{z}/{x}/{y}` for a tile) with the UDF as `step_config` and a `Fused-Run-Id`,
 *   then `GET .../run/udf/get/{run_id}` while the answer is 202; the `client_id` and the account
 *   come from remote-session.ts;
 * - a saved UDF by name (`fused.run("Name")`, `"team/Name"`): looked up (remote-lookup.ts), then
 *   its code run as above;
 * - a shared token (`fused.run("fsh_...")`): `GET /server/v1/realtime-shared/{token}/run/file` (or
 *   `/run/tiles/{z}/{x}/{y}`) with the format and parameters in the query.
 *
 * Every request sends `X-Fused-Cache-Disable: true` (remote-client.ts: no HTTP cache between; the
 * remote's result cache still follows `cache_max_age`, sent in seconds); every run sends
 * `fused_cache_disable_stream=true` and `Fused-Recursion`, the nesting level there (1 at the top;
 * an engine that proxies counts its hop as a level, remote-engines.ts), with `x-udf-studio-hops`
 * when some of those levels are proxy hops. The answer becomes the same {@link RunOutcome} a
 * local run gives: the bytes and their format, the UDF's stdout and stderr from `x-fused-metadata`,
 * and a UDF's error with its code and line (from the error body, else from the metadata).
 */

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { udfError, UdfStudioError } from '../../../src-shared/errors.js';
import type { Format, ResultKind } from '../../../src-shared/formats.js';
import { parseMaxAge } from '../../../src-shared/max-age.js';
import type { Tile } from '../../../src-shared/tiles.js';
import type { RunOutcome, UdfSource } from '../../../src-shared/udf.js';
import { asObject, defaultEntrypoint } from '../workspace/udf-folder.js';
import { answerError, parseJson, RUN_TIMEOUT_MS, type RemoteAnswer, type RemoteClient, type RemoteRequest } from './remote-client.js';
import { lookupRaw } from './remote-lookup.js';
import { accountHeaders, remoteAccount, remoteClientId } from './remote-session.js';
import { HOPS_HEADER, RECURSION_HEADER } from '../../../src-shared/nesting.js';

/**
 * The formats asked for when the caller names none: the HTTP defaults (parquet for tables, png for
 * images, then each kind's own) as one preference list, since a run always names its formats.
 */
export const DEFAULT_REMOTE_FORMATS: readonly Format[] = ['parquet', 'png', 'text', 'html', 'json', 'bytes'];
/** The official client's wait between polls grows by 0.1 s up to this. */
const MAX_POLL_WAIT_MS = 800;
/** The least time a request of a run is given, even when the run's own time is nearly up. */
const MIN_REQUEST_MS = 1_000;
/** Time given to the request that cancels a run on the remote. */
const CANCEL_TIMEOUT_MS = 5_000;

/** What runs remotely: a UDF saved there, a shared token's UDF, or local code sent along. */
export type RemoteTarget =
  | { kind: 'saved'; name: string }
  | { kind: 'token'; token: string }
  | { kind: 'code'; udf: UdfSource };

export interface RemoteRun {
  target: RemoteTarget;
  /** Strings are converted by the UDF's annotations on the remote; other values travel as JSON. */
  params?: Record<string, unknown>;
  tile?: Tile | null;
  formats?: Format[];
  /** The call's cache max age, passed on to the remote (0 skips its cache). */
  cacheMaxAge?: string | number | null;
  /** How deep the run is nested on the remote (proxy hops included); sent as `Fused-Recursion`. */
  depth?: number;
  /** Of `depth`, the levels that are proxy hops from a top-level request; sent as `x-udf-studio-hops`. */
  hops?: number;
  /** Cancels the run: its requests to the remote are closed, which stops it on a UDF Studio remote. */
  signal?: AbortSignal;
}

/** The UDF's error carried in `x-fused-metadata`, as Fused's API reports one. */
interface FusedMetadata {
  stdout: string;
  stderr: string;
  errormsg: string | null;
  lineno: number | null;
  exceptionClass: string | null;
}

/**
 * Runs on the remote. A UDF's own failure (or a parameter the remote refuses, or an unknown saved
 * name) is a failed outcome, as for a local run; the remote being unreachable, slow, refusing the
 * token or answering nonsense throws the matching UDF_ERR_REMOTE_* error.
 */
export async function runOnRemote(client: RemoteClient, run: RemoteRun): Promise<RunOutcome> {
  const started = performance.now();
  let answer: RemoteAnswer | UdfStudioError;
  try {
    answer = await answerOf(client, run, started + RUN_TIMEOUT_MS);
  } catch (error) {
    if (!(error instanceof UdfStudioError) || error.code !== 'UDF_ERR_CANCELLED') throw error;
    answer = error;
  }
  if (answer instanceof UdfStudioError) return { ok: false, error: answer.data, stdout: '', stderr: '', durationMs: performance.now() - started };
  const metadata = fusedMetadataOf(client, answer);
  const log = { stdout: metadata.stdout, stderr: metadata.stderr, durationMs: performance.now() - started };
  // An empty body is None to the official client too: for a tile, the 204 a map client expects.
  if (answer.status === 204 || (answer.status === 200 && answer.body.length === 0)) {
    return { ok: true, format: run.formats?.[0] ?? 'json', contentType: 'application/octet-stream', kind: 'empty', empty: true, cacheMaxAge: null, body: new Uint8Array(0), ...log };
  }
  if (answer.status >= 200 && answer.status < 300) {
    const contentType = String(answer.headers['content-type'] ?? '');
    if (!contentType) throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" answered the run without a content type`);
    const format = formatOfContentType(contentType, answer.body);
    return { ok: true, format, contentType, kind: kindOfFormat(format), empty: false, cacheMaxAge: null, body: answer.body, ...log };
  }
  const error = runError(client, answer, metadata);
  if (error.code.startsWith('UDF_ERR_REMOTE_')) throw error;
  return { ok: false, error: error.data, ...log };
}

/** The run's final answer, or the error of a saved name the remote does not have. */
async function answerOf(client: RemoteClient, run: RemoteRun, deadline: number): Promise<RemoteAnswer | UdfStudioError> {
  const { target } = run;
  if (target.kind === 'token') return client.request(sharedRunRequest(run, target.token, deadline));
  if (target.kind === 'code') return runCode(client, run, codeStep(target.udf, run.params ?? {}), deadline);
  const record = await lookupRaw(client, target.name);
  if (record === null) return udfError('UDF_ERR_NOT_FOUND', `remote "${client.name}" has no saved UDF "${target.name}"`);
  return runCode(client, run, savedStep(client, target.name, record, run.params ?? {}), deadline);
}

/** Starts a code run and polls it until it answers, within the run's time. */
async function runCode(client: RemoteClient, run: RemoteRun, step: Record<string, unknown>, deadline: number): Promise<RemoteAnswer> {
  const [clientId, account] = await Promise.all([remoteClientId(client), remoteAccount(client)]);
  const base = `/server/v1/realtime/${encodeURIComponent(clientId)}/api/v1/run/udf`;
  const runId = randomUUID();
  const headers = { ...runHeaders(run), 'fused-run-id': runId, ...accountHeaders(account) };
  const query = new URLSearchParams();
  const maxAge = maxAgeSeconds(run);
  if (maxAge !== null) query.set('cache_max_age', String(maxAge));
  query.set('fused_cache_disable_stream', 'true');
  const body = { step_config: JSON.stringify(step), format: formatList(run), profile: false };
  const { signal } = run;
  const runPath = `${base}/get/${encodeURIComponent(runId)}`;
  try {
    let answer = await client.request({ method: 'POST', path: `${base}/start${tilePath(run.tile)}?${query}`, body, headers, timeoutMs: remainingMs(deadline), signal });
    for (let polls = 0; answer.status === 202; polls++) {
      if (polls > 1) await sleep(Math.min((polls - 1) * 100, MAX_POLL_WAIT_MS));
      if (signal?.aborted) throw udfError('UDF_ERR_CANCELLED', 'the run was cancelled: its client went away');
      if (performance.now() >= deadline) {
        throw udfError('UDF_ERR_REMOTE_TIMEOUT', `remote "${client.name}" (${client.remote.url}) did not finish the run within ${RUN_TIMEOUT_MS / 1000} s`);
      }
      try {
        answer = await client.request({ method: 'GET', path: runPath, headers, timeoutMs: remainingMs(deadline), signal });
      } catch (error) {
        if ((error as UdfStudioError).code !== 'UDF_ERR_REMOTE_UNREACHABLE') throw error;
        throw udfError('UDF_ERR_REMOTE_UNREACHABLE', `remote "${client.name}" (${client.remote.url}) dropped the connection during the run (it may have stopped)`);
      }
    }
    return answer;
  } catch (error) {
    if (signal?.aborted || (error as UdfStudioError).code === 'UDF_ERR_REMOTE_TIMEOUT') cancelRemoteRun(client, runPath, headers);
    throw error;
  }
}

/**
 * Asks the remote to stop a started run nobody here waits for any more (the client went away, or
 * its time is up). A UDF Studio remote cancels it; one without the route (Fused's hosted API)
 * refuses, and its run ends by its own limits. Nothing waits for the answer.
 */
function cancelRemoteRun(client: RemoteClient, runPath: string, headers: Record<string, string>): void {
  void client.request({ method: 'DELETE', path: runPath, headers, timeoutMs: CANCEL_TIMEOUT_MS }).catch(() => undefined);
}

function sharedRunRequest(run: RemoteRun, token: string, deadline: number): RemoteRequest {
  const query = new URLSearchParams();
  const maxAge = maxAgeSeconds(run);
  if (maxAge !== null) query.set('cache_max_age', String(maxAge));
  query.set('format', formatList(run));
  query.set('profile', 'False');
  query.set('fused_cache_disable_stream', 'true');
  for (const [name, value] of Object.entries(run.params ?? {})) query.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  const path = `/server/v1/realtime-shared/${encodeURIComponent(token)}/run${run.tile ? tilePath(run.tile) : '/file'}?${query}`;
  return { method: 'GET', path, headers: runHeaders(run), timeoutMs: remainingMs(deadline), ...(run.signal ? { signal: run.signal } : {}) };
}

/** Headers every run request carries (besides the client's own). Fused counts nesting levels from 1 (a top-level call). */
function runHeaders(run: RemoteRun): Record<string, string> {
  return { [RECURSION_HEADER]: String((run.depth ?? 0) + 1), ...(run.hops ? { [HOPS_HEADER]: String(run.hops) } : {}) };
}

/** A local UDF as the `step_config` of a code run. */
function codeStep(udf: UdfSource, params: Record<string, unknown>): Record<string, unknown> {
  return stepConfig({
    type: 'geopandas_v2', name: udf.name, entrypoint: udf.entrypoint ?? defaultEntrypoint(udf.code), parameters: params, metadata: udf.metadata, code: udf.code,
    headers: udf.headers.map((header) => ({ module_name: header.moduleName, source_code: header.code })),
  });
}

/**
 * A saved UDF's record as the `step_config` of a code run: its body as the remote keeps it, with
 * the call's parameters over its own. Its headers go back in the remote's own form.
 */
function savedStep(client: RemoteClient, name: string, record: Record<string, unknown>, params: Record<string, unknown>): Record<string, unknown> {
  const body = asObject(typeof record.udf_body === 'string' ? parseJson(Buffer.from(record.udf_body)) : record.udf_body);
  if (!body || typeof body.code !== 'string') throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" sent the saved UDF "${name}" without its code`);
  return stepConfig({
    type: typeof body.type === 'string' ? body.type : 'geopandas_v2',
    name: typeof body.name === 'string' ? body.name : name.slice(name.indexOf('/') + 1),
    entrypoint: typeof body.entrypoint === 'string' ? body.entrypoint : defaultEntrypoint(body.code),
    parameters: { ...asObject(body.parameters), ...params },
    metadata: asObject(body.metadata) ?? {},
    code: body.code,
    headers: Array.isArray(body.headers) ? body.headers : [],
  });
}

function stepConfig(udf: Record<string, unknown> & { name: unknown }): Record<string, unknown> {
  return { type: 'udf', name: udf.name, udf };
}

function formatList(run: RemoteRun): string {
  return (run.formats?.length ? run.formats : DEFAULT_REMOTE_FORMATS).join(',');
}

function maxAgeSeconds(run: RemoteRun): number | null {
  return run.cacheMaxAge === undefined || run.cacheMaxAge === null ? null : parseMaxAge(run.cacheMaxAge);
}

function tilePath(tile: Tile | null | undefined): string {
  return tile ? `/tiles/${tile.z}/${tile.x}/${tile.y}` : '';
}

function remainingMs(deadline: number): number {
  return Math.max(MIN_REQUEST_MS, Math.round(deadline - performance.now()));
}

/**
 * The error of a failed run: the remote's error body when it has one (UDF Studio's); else the
 * UDF's error in `x-fused-metadata` (Fused's API); else what {@link answerError} makes of it.
 */
function runError(client: RemoteClient, answer: RemoteAnswer, metadata: FusedMetadata): UdfStudioError {
  const error = answerError(client.remote, answer);
  const fromBody = !error.code.startsWith('UDF_ERR_REMOTE_');
  if (fromBody || error.code === 'UDF_ERR_REMOTE_AUTH' || !metadata.errormsg) return error;
  return udfError('UDF_ERR_RUNTIME', `remote "${client.name}": ${metadata.errormsg}`, {
    ...(metadata.lineno !== null ? { line: metadata.lineno } : {}),
    ...(metadata.exceptionClass ? { exceptionClass: metadata.exceptionClass } : {}),
  });
}

/** `x-fused-metadata` of a run answer; a header that is there but not JSON is a malformed answer. */
function fusedMetadataOf(client: RemoteClient, answer: RemoteAnswer): FusedMetadata {
  const header = answer.headers['x-fused-metadata'];
  const none: FusedMetadata = { stdout: '', stderr: '', errormsg: null, lineno: null, exceptionClass: null };
  if (header === undefined) return none;
  let value: unknown;
  try {
    value = JSON.parse(String(header));
  } catch {
    throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" sent an x-fused-metadata header that is not JSON`);
  }
  const record = asObject(value) ?? {};
  const text = (key: string): string | null => (typeof record[key] === 'string' && record[key] ? record[key] : null);
  return {
    stdout: text('stdout') ?? '',
    stderr: text('stderr') ?? '',
    errormsg: text('errormsg') ?? text('exception'),
    lineno: Number.isSafeInteger(record.lineno) ? (record.lineno as number) : null,
    exceptionClass: text('exception_class'),
  };
}

const CONTENT_TYPES: ReadonlyArray<[string, Format]> = [
  ['application/vnd.apache.parquet', 'parquet'], ['application/geo+json', 'geojson'], ['application/json', 'json'],
  ['application/vnd.apache.arrow.file', 'feather'], ['text/csv', 'csv'], ['application/vnd.mapbox-vector-tile', 'mvt'],
  ['application/x-protobuf', 'mvt'], ['text/html', 'html'], ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'excel'],
  ['application/xml', 'xml'], ['text/xml', 'xml'], ['image/png', 'png'], ['image/gif', 'gif'], ['image/jpeg', 'jpeg'],
  ['image/webp', 'webp'], ['image/tiff', 'tiff'], ['text/plain', 'text'], ['application/x-numpy-data', 'npy'],
];
const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** The format of an answer's bytes, by content type (npy by its magic number); `bytes` otherwise. */
export function formatOfContentType(contentType: string, body: Uint8Array): Format {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const known = CONTENT_TYPES.find(([type]) => type === media);
  if (known) return known[1];
  if (media === 'application/octet-stream' && Buffer.from(body.subarray(0, NPY_MAGIC.length)).equals(NPY_MAGIC)) return 'npy';
  return 'bytes';
}

function kindOfFormat(format: Format): ResultKind {
  switch (format) {
    case 'png': case 'gif': case 'jpeg': case 'webp': case 'tiff': case 'npy': return 'raster';
    case 'json': return 'json';
    case 'text': return 'text';
    case 'html': return 'html';
    case 'bytes': return 'bytes';
    case 'geojson': case 'mvt': return 'geotable';
    default: return 'table';
  }
}
