/**
 * The one way the window talks to the engine: typed calls over the app API. The session cookie
 * (set by the one-time link) and the session key (session-key.ts) authorise them; no component
 * calls fetch itself.
 */

import type {
  AppRunRequest, AppSettings, LibraryListing, NewRemote, NewSecret, RemotesListing, RuntimeHealth, SecretSaved, SecretsListing, SettingsChange, SyncActionResult, SyncListing, UdfDetail,
  UdfEngineChoice,
} from '../../../src-shared/app-api.js';
import { RUN_HEADERS } from '../../../src-shared/app-api.js';
import type { ClusterConfig } from '../../../src-shared/clusters.js';
import type { ErrorData } from '../../../src-shared/errors.js';
import type { ArchiveSource, ExportPlan, ExportRequest } from '../../../src-shared/exports.js';
import type { JobDetail, JobSummary } from '../../../src-shared/jobs.js';
import type { QgisLayerAnswer } from '../../../src-shared/qgis.js';
import { sessionHeaders } from './session-key.js';

/** An error answer from the engine, with its code, message and (for UDF errors) line. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly data: ErrorData & { title?: string }) {
    super(data.message);
  }
}

export interface SharedTokenInfo {
  token: string;
  udf_slug: string;
  enabled: boolean;
  cache: boolean;
  created_at: string;
  file_url?: string;
  tile_url?: string;
  tilejson_url?: string;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  capBytes: number;
  byUdf: Array<{ udfId: string; name: string | null; entries: number; bytes: number }>;
}

/** What a window run gives back: the result's bytes and how it went. */
export interface RunResult {
  ok: true;
  kind: string;
  contentType: string;
  body: Blob;
  durationMs: number;
  cache: string;
  /** `local`, or the remote the engine switch sent the run to. */
  engine: string;
  stdout: string;
  stderr: string;
}

export interface RunFailed {
  ok: false;
  error: ErrorData;
  durationMs: number | null;
  stdout: string;
  stderr: string;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? sessionHeaders() : { ...sessionHeaders(), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const parsed = (await response.json()) as { error?: ErrorData };
    if (parsed.error) return new ApiError(response.status, parsed.error);
  } catch {
    // Not an engine error body: fall through to a generic one.
  }
  return new ApiError(response.status, { code: 'UDF_ERR_PROTOCOL', message: `the engine answered ${response.status} ${response.statusText}` });
}

const encode = encodeURIComponent;

export const api = {
  library: () => call<LibraryListing>('GET', '/api/library'),
  udf: (name: string) => call<UdfDetail>('GET', `/api/udfs/${encode(name)}`),
  /** With `base` (the text the edits started from), a file changed on disk since is refused: UDF_ERR_FILE_CHANGED. */
  saveFile: (name: string, file: string, content: string, base?: string) => call<{ saved: string }>('POST', `/api/udfs/${encode(name)}/files/${encode(file)}`, base === undefined ? { content } : { content, base }),
  create: (name: string, template: 'table' | 'tile') => call<{ name: string }>('POST', '/api/udfs', { name, template }),
  copyExample: (name: string) => call<{ name: string }>('POST', `/api/examples/${encode(name)}/copy`),
  duplicate: (name: string, newName: string) => call<{ name: string }>('POST', `/api/udfs/${encode(name)}/duplicate`, { name: newName }),
  remove: (name: string) => call<{ deleted: string; trash: string | null }>('DELETE', `/api/udfs/${encode(name)}`),
  reveal: (name: string) => call<unknown>('POST', `/api/udfs/${encode(name)}/reveal`, {}),
  openInEditor: (name: string, line: number | null) => call<unknown>('POST', `/api/udfs/${encode(name)}/open`, line ? { line } : {}),
  settings: () => call<AppSettings>('GET', '/api/settings'),
  saveSettings: (changes: SettingsChange) => call<AppSettings>('POST', '/api/settings', changes),
  remotes: () => call<RemotesListing>('GET', '/api/remotes'),
  addRemote: (remote: NewRemote) => call<{ name: string; url: string }>('POST', '/api/remotes', remote),
  removeRemote: (name: string) => call<{ name: string }>('DELETE', `/api/remotes/${encode(name)}`),
  syncStatus: (remote: string) => call<SyncListing>('GET', `/api/remotes/${encode(remote)}/sync`),
  push: (name: string, remote: string, force = false) => call<SyncActionResult>('POST', `/api/udfs/${encode(name)}/push?${syncQuery(remote, force)}`),
  pull: (name: string, remote: string, force = false) => call<SyncActionResult>('POST', `/api/udfs/${encode(name)}/pull?${syncQuery(remote, force)}`),
  udfEngine: (name: string) => call<UdfEngineChoice>('GET', `/api/udfs/${encode(name)}/engine`),
  setUdfEngine: (name: string, remote: string | null) => call<UdfEngineChoice>('POST', `/api/udfs/${encode(name)}/engine`, { remote }),
  runtime: () => call<RuntimeHealth>('GET', '/api/runtime/health'),
  installPackages: (packages: string[], extras: string[] = []) => call<{ installed: Record<string, string>; alreadyInRuntime: Record<string, string> }>('POST', '/api/runtime/packages', { packages, extras }),
  clusters: () => call<{ clusters: ClusterConfig[] }>('GET', '/api/clusters'),
  addCluster: (name: string, address: string) => call<ClusterConfig>('POST', '/api/clusters', { name, address }),
  removeCluster: (name: string) => call<unknown>('DELETE', `/api/clusters/${encode(name)}`),
  secrets: () => call<SecretsListing>('GET', '/api/secrets'),
  /** Sends a value once; no call ever returns one. */
  setSecret: (secret: NewSecret) => call<SecretSaved>('POST', '/api/secrets', secret),
  removeSecret: (name: string) => call<{ name: string }>('DELETE', `/api/secrets/${encode(name)}`),
  tokens: () => call<SharedTokenInfo[]>('GET', '/server/v1/udf-access-token/self'),
  createToken: (udf: string, cache: boolean) => call<SharedTokenInfo>('POST', '/server/v1/udf-access-token/new', { udf_slug: udf, cache }),
  setToken: (prefix: string, changes: { enabled?: boolean }) => call<SharedTokenInfo>('POST', `/api/tokens/${encode(prefix)}`, changes),
  deleteToken: (prefix: string) => call<unknown>('DELETE', `/api/tokens/${encode(prefix)}`),
  openInQgis: (udf: string, params: Record<string, string>, colorBy: string | null) => call<QgisLayerAnswer>('POST', `/api/udfs/${encode(udf)}/qgis`, { params, colorBy }),
  cache: () => call<CacheStats>('GET', '/api/cache'),
  clearCache: (udf: string | null) => call<{ deleted: number }>('DELETE', udf ? `/api/cache?udf=${encode(udf)}` : '/api/cache'),
  jobs: () => call<{ jobs: JobSummary[] }>('GET', '/api/jobs'),
  job: (id: string) => call<JobDetail>('GET', `/api/jobs/${encode(id)}`),
  submitJob: (udf: string, argList: unknown[], maxWorkers: number) => call<JobSummary>('POST', '/api/jobs', { udf, argList, maxWorkers }),
  cancelJob: (id: string) => call<JobSummary>('POST', `/api/jobs/${encode(id)}/cancel`, {}),
  planExport: (request: ExportRequest) => call<ExportPlan>('POST', '/api/exports/plan', request),
  startExport: (request: ExportRequest) => call<JobSummary>('POST', '/api/exports', request),
  archives: () => call<{ archives: ArchiveSource[] }>('GET', '/api/archives'),

  /** A finished run's result as the engine stored it (its format's bytes). */
  async jobResult(id: string, index: number): Promise<Blob> {
    const response = await fetch(`/api/jobs/${encode(id)}/runs/${index}/result`, { credentials: 'same-origin', headers: sessionHeaders() });
    if (!response.ok) throw await errorOf(response);
    return response.blob();
  },

  /** Runs a UDF with string parameters; a UDF error comes back as a failed result, not a throw. */
  async run(name: string, params: Record<string, string>): Promise<RunResult | RunFailed> {
    const response = await fetch(`/api/udfs/${encode(name)}/run`, {
      method: 'POST', credentials: 'same-origin', headers: { ...sessionHeaders(), 'content-type': 'application/json' }, body: JSON.stringify({ params } satisfies AppRunRequest),
    });
    const metadata = parseMetadata(response.headers.get(RUN_HEADERS.metadata));
    const duration = response.headers.get(RUN_HEADERS.durationMs);
    if (!response.ok) {
      const error = await errorOf(response);
      return { ok: false, error: error.data, durationMs: duration === null ? null : Number(duration), stdout: metadata.stdout, stderr: metadata.stderr };
    }
    return {
      ok: true,
      kind: response.headers.get(RUN_HEADERS.kind) ?? 'bytes',
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      body: await response.blob(),
      durationMs: Number(duration ?? 0),
      cache: response.headers.get(RUN_HEADERS.cache) ?? 'off',
      engine: response.headers.get(RUN_HEADERS.engine) ?? 'local',
      stdout: metadata.stdout,
      stderr: metadata.stderr,
    };
  },
};

/** The URL of one map tile of a UDF; `version` (its code key and engine, kept short) makes an edit or a switch refetch. */
export function tileUrl(name: string, z: number, x: number, y: number, version: string, params: Record<string, string>): string {
  const query = new URLSearchParams({ ...params, format: 'png,geojson', v: version });
  return `/api/udfs/${encode(name)}/tiles/${z}/${x}/${y}?${query.toString()}`;
}

/** The URL of one tile of a workspace archive, vector tiles as GeoJSON (as the map draws them). */
export function archiveTileUrl(name: string, z: number, x: number, y: number): string {
  return `/api/archives/${encode(name)}/tiles/${z}/${x}/${y}?format=geojson`;
}

function syncQuery(remote: string, force: boolean): string {
  return new URLSearchParams({ remote, ...(force ? { force: 'true' } : {}) }).toString();
}

function parseMetadata(header: string | null): { stdout: string; stderr: string } {
  if (!header) return { stdout: '', stderr: '' };
  try {
    const parsed = JSON.parse(header) as { stdout?: string; stderr?: string };
    return { stdout: parsed.stdout ?? '', stderr: parsed.stderr ?? '' };
  } catch {
    return { stdout: '', stderr: '' };
  }
}
