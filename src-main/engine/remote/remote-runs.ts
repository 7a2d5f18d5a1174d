/**
 * Runs on a remote engine through Fused's hosted routes: a saved UDF by name, a shared token, or a
 * local UDF's code as a code run (`step_config`). The answer becomes the same {@link RunOutcome} a
 * local run gives: the bytes and their format, the UDF's stdout and stderr from `x-fused-metadata`,
 * and a UDF's error with its code and line.
 */

import { performance } from 'node:perf_hooks';
import { udfError } from '../../../src-shared/errors.js';
import type { Format, ResultKind } from '../../../src-shared/formats.js';
import type { Tile } from '../../../src-shared/tiles.js';
import type { RunOutcome, UdfSource } from '../../../src-shared/udf.js';
import { answerError, RUN_TIMEOUT_MS, type RemoteAnswer, type RemoteClient } from './remote-client.js';

/** The client id in the remote's private routes; UDF Studio accepts any, Fused's realtime takes any realm. */
export const REMOTE_CLIENT_ID = 'default';
/** The owner of a saved UDF named without one. */
const DEFAULT_OWNER = 'me';

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
  /** How deep the run is nested in other UDFs' runs; passed on as `Fused-Recursion`. */
  depth?: number;
}

/**
 * Runs on the remote. A UDF's own failure (or a parameter the remote refuses) is a failed outcome,
 * as for a local run; the remote being unreachable, slow, refusing the token or answering
 * nonsense throws the matching UDF_ERR_REMOTE_* error.
 */
export async function runOnRemote(client: RemoteClient, run: RemoteRun): Promise<RunOutcome> {
  const started = performance.now();
  const answer = await client.request(remoteRequest(run));
  const metadata = fusedMetadataOf(client, answer);
  const log = { stdout: metadata.stdout, stderr: metadata.stderr, durationMs: performance.now() - started };
  if (answer.status === 204) {
    return { ok: true, format: run.formats?.[0] ?? 'json', contentType: 'application/octet-stream', kind: 'empty', empty: true, cacheMaxAge: null, body: new Uint8Array(0), ...log };
  }
  if (answer.status >= 200 && answer.status < 300) {
    const contentType = String(answer.headers['content-type'] ?? '');
    if (!contentType) throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" answered the run without a content type`);
    const format = formatOfContentType(contentType, answer.body);
    return { ok: true, format, contentType, kind: kindOfFormat(format), empty: false, cacheMaxAge: null, body: answer.body, ...log };
  }
  const error = answerError(client.remote, answer);
  if (error.code.startsWith('UDF_ERR_REMOTE_')) throw error;
  return { ok: false, error: error.data, ...log };
}

/** The method, path and body for a run. */
export function remoteRequest(run: RemoteRun): { method: 'GET' | 'POST'; path: string; body?: unknown; timeoutMs: number; headers?: Record<string, string> } {
  const request = targetRequest(run);
  // Fused counts levels from 1 (a top-level call), one more than the depth.
  return run.depth ? { ...request, headers: { 'fused-recursion': String(run.depth + 1) } } : request;
}

function targetRequest(run: RemoteRun): { method: 'GET' | 'POST'; path: string; body?: unknown; timeoutMs: number } {
  const query = new URLSearchParams();
  if (run.formats?.length) query.set('format', run.formats.join(','));
  if (run.cacheMaxAge !== undefined && run.cacheMaxAge !== null) query.set('cache_max_age', String(run.cacheMaxAge));
  const tilePath = run.tile ? `/tiles/${run.tile.z}/${run.tile.x}/${run.tile.y}` : '';
  const { target } = run;
  if (target.kind === 'code') {
    const suffix = query.size ? `?${query}` : '';
    const udf = target.udf;
    const step = {
      type: 'udf',
      udf: {
        type: 'geopandas_v2', name: udf.name, entrypoint: udf.entrypoint ?? 'udf', parameters: run.params ?? {}, metadata: udf.metadata, code: udf.code,
        headers: udf.headers.map((header) => ({ module_name: header.moduleName, source_code: header.code })),
      },
    };
    return {
      method: 'POST', path: `/server/v1/realtime/${REMOTE_CLIENT_ID}/api/v1/run/udf${tilePath}${suffix}`,
      body: { step_config: JSON.stringify(step), ...(run.formats?.length ? { format: run.formats.join(',') } : {}) }, timeoutMs: RUN_TIMEOUT_MS,
    };
  }
  for (const [name, value] of Object.entries(run.params ?? {})) query.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  const suffix = query.size ? `?${query}` : '';
  if (target.kind === 'token') {
    const token = encodeURIComponent(target.token);
    return { method: 'GET', path: `/server/v1/realtime-shared/${token}/run${tilePath || '/file'}${suffix}`, timeoutMs: RUN_TIMEOUT_MS };
  }
  const [owner, name] = splitSavedName(target.name);
  return { method: 'GET', path: `/server/v1/realtime/${REMOTE_CLIENT_ID}/api/v1/run/udf/saved/${encodeURIComponent(owner)}/${encodeURIComponent(name)}${tilePath}${suffix}`, timeoutMs: RUN_TIMEOUT_MS };
}

/** `team/name` or `email/name` → [owner, name]; a bare name belongs to the token's owner. */
export function splitSavedName(saved: string): [string, string] {
  const slash = saved.lastIndexOf('/');
  if (slash <= 0) return [DEFAULT_OWNER, saved];
  return [saved.slice(0, slash), saved.slice(slash + 1)];
}

/** `x-fused-metadata` of a run answer; a header that is there but not JSON is a malformed answer. */
function fusedMetadataOf(client: RemoteClient, answer: RemoteAnswer): { stdout: string; stderr: string } {
  const header = answer.headers['x-fused-metadata'];
  if (header === undefined) return { stdout: '', stderr: '' };
  let value: unknown;
  try {
    value = JSON.parse(String(header));
  } catch {
    throw udfError('UDF_ERR_REMOTE_BAD_ANSWER', `remote "${client.name}" sent an x-fused-metadata header that is not JSON`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as { stdout?: unknown; stderr?: unknown };
  return { stdout: typeof record.stdout === 'string' ? record.stdout : '', stderr: typeof record.stderr === 'string' ? record.stderr : '' };
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
