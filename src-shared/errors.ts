/**
 * The one table of error codes: each code's HTTP status and a short title.
 *
 * Errors cross process boundaries as data ({@link ErrorData}), never as bare strings, so the CLI,
 * the server and the window can all show the same code, message and line.
 */

/** Every error code the engine or a worker can produce. */
export const ERROR_CODES = {
  UDF_ERR_SYNTAX: { status: 422, title: 'The UDF code does not compile' },
  UDF_ERR_IMPORT: { status: 422, title: 'The UDF module raised while loading' },
  UDF_ERR_MISSING_PACKAGE: { status: 422, title: 'The UDF imports a package the runtime lacks' },
  UDF_ERR_NO_ENTRYPOINT: { status: 422, title: 'The UDF has no entry point' },
  UDF_ERR_PARAM: { status: 400, title: 'A parameter value does not convert to its type' },
  UDF_ERR_UNKNOWN_PARAM: { status: 400, title: 'The UDF does not take this parameter' },
  UDF_ERR_MISSING_PARAM: { status: 400, title: 'A required parameter has no value' },
  UDF_ERR_RUNTIME: { status: 422, title: 'The UDF raised an exception' },
  UDF_ERR_MEMORY: { status: 422, title: 'The UDF ran out of memory' },
  UDF_ERR_FORMAT: { status: 406, title: 'No requested format fits the result' },
  UDF_ERR_RESULT: { status: 422, title: 'The UDF returned a value that cannot be encoded' },
  UDF_ERR_PROTOCOL: { status: 502, title: 'The worker could not read the request' },
  UDF_ERR_CANCELLED: { status: 409, title: 'The run was cancelled' },
  UDF_ERR_RECURSION: { status: 508, title: 'UDFs call each other too deep (the limit is 5)' },
  UDF_ERR_FETCH: { status: 502, title: 'The UDF could not be fetched from its URL' },
  UDF_ERR_JOB_NOT_FOUND: { status: 404, title: 'No such job' },
  UDF_ERR_RUN_NOT_FOUND: { status: 404, title: 'No such run (or its answer was already forgotten)' },
  UDF_ERR_WORKER_CRASHED: { status: 422, title: 'The worker running the UDF exited' },
  UDF_ERR_WORKER_START: { status: 503, title: 'No worker could start' },
  UDF_ERR_TIMEOUT: { status: 504, title: 'The UDF ran past its time limit' },
  UDF_ERR_MEMORY_LIMIT: { status: 422, title: 'The UDF went over the memory limit' },
  UDF_ERR_BAD_TILE: { status: 400, title: 'The tile coordinates are not valid' },
  UDF_ERR_TILE_INCOMPLETE: { status: 422, title: 'z, x and y must be given together' },
  UDF_ERR_BAD_FOLDER: { status: 422, title: 'The UDF folder cannot be read' },
  UDF_ERR_NODE_TEMPLATE: { status: 422, title: 'The folder is a node template, not a runnable UDF' },
  UDF_ERR_NOT_FOUND: { status: 404, title: 'No such UDF' },
  UDF_ERR_RUNTIME_MISSING: { status: 503, title: 'The Python runtime is not installed' },
  UDF_ERR_RUNTIME_NOT_READY: { status: 503, title: 'The Python runtime is being set up or failed to set up' },
  UDF_ERR_RUNTIME_BUSY: { status: 409, title: 'The Python runtime is already being set up' },
  UDF_ERR_ENGINE_CLOSED: { status: 503, title: 'The engine is shutting down' },
  UDF_ERR_USAGE: { status: 400, title: 'The command or request is not well formed' },
  UDF_ERR_BAD_REQUEST: { status: 400, title: 'The request is not well formed' },
  UDF_ERR_AUTH_REQUIRED: { status: 401, title: 'This route needs the private token (Authorization: Bearer ...)' },
  UDF_ERR_TOKEN_UNKNOWN: { status: 404, title: 'No such shared token' },
  UDF_ERR_TOKEN_DISABLED: { status: 403, title: 'The shared token is disabled' },
  UDF_ERR_SIGNED_URL: { status: 403, title: 'The signed URL has expired or its signature is wrong' },
  UDF_ERR_FILE_NOT_FOUND: { status: 404, title: 'No such file' },
  UDF_ERR_FILE_CHANGED: { status: 409, title: 'The file changed on disk since it was loaded' },
  UDF_ERR_HOST: { status: 403, title: 'Requests must name a loopback host' },
  UDF_ERR_ROUTE: { status: 404, title: 'No such route' },
  UDF_ERR_METHOD: { status: 405, title: 'The route does not take this method' },
  UDF_ERR_URI_TOO_LONG: { status: 414, title: 'The URL is too long' },
  UDF_ERR_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UDF_ERR_REMOTE_UNKNOWN: { status: 404, title: 'No such remote engine is configured' },
  UDF_ERR_REMOTE_CONFIG: { status: 422, title: 'The remote engine settings cannot be read' },
  UDF_ERR_REMOTE_UNREACHABLE: { status: 502, title: 'The remote engine cannot be reached' },
  UDF_ERR_REMOTE_TIMEOUT: { status: 504, title: 'The remote engine did not answer in time' },
  UDF_ERR_REMOTE_AUTH: { status: 502, title: 'The remote engine refused the token' },
  UDF_ERR_REMOTE_FAILED: { status: 502, title: 'The remote engine failed' },
  UDF_ERR_REMOTE_BAD_ANSWER: { status: 502, title: 'The remote engine gave a malformed answer' },
  UDF_ERR_SYNC_CONFLICT: { status: 409, title: 'The UDF changed on both sides since the last sync' },
  UDF_ERR_CLUSTER_UNKNOWN: { status: 404, title: 'No such Dask cluster is configured' },
  UDF_ERR_CLUSTER_CONFIG: { status: 422, title: 'The cluster settings cannot be read' },
  UDF_ERR_CLUSTER_UNREACHABLE: { status: 502, title: 'The Dask scheduler cannot be reached' },
  UDF_ERR_CLUSTER_LOST: { status: 502, title: 'The Dask scheduler went away during the job' },
  UDF_ERR_CLUSTER_FAILED: { status: 502, title: 'The cluster could not run the task' },
  UDF_ERR_SETTINGS: { status: 422, title: 'The settings file cannot be read' },
  UDF_ERR_SECRET_UNKNOWN: { status: 404, title: 'No such secret' },
  UDF_ERR_SECRETS_FILE: { status: 422, title: 'The secrets file cannot be read' },
  UDF_ERR_BAD_PACKAGE: { status: 400, title: 'Not a package name the package index could have' },
  UDF_ERR_INSTALL_FAILED: { status: 422, title: 'The package could not be installed; the runtime is as it was' },
  UDF_ERR_CACHE_WRITE: { status: 507, title: 'The result cache could not store a result; the run was answered uncached' },
  UDF_ERR_DATABASE_CORRUPT: { status: 500, title: "The engine's database file is damaged" },
  UDF_ERR_DATABASE_BUSY: { status: 503, title: "Another process holds the engine's database; try again" },
  UDF_ERR_DISK_WRITE: { status: 507, title: 'A result could not be written to disk' },
  UDF_ERR_EXPORT_AREA: { status: 400, title: "The export's area or zoom range is not valid" },
  UDF_ERR_EXPORT_TARGET: { status: 422, title: "The export's archive cannot be written there" },
  UDF_ERR_EXPORT_NOT_TILE: { status: 422, title: 'Only a tile UDF can be exported to a tile archive' },
  UDF_ERR_EXPORT_TOO_LARGE: { status: 409, title: 'The export is over the tile limit and was not confirmed' },
  UDF_ERR_EXPORT_BUSY: { status: 409, title: 'An export to that archive is already running' },
  UDF_ERR_ARCHIVE: { status: 422, title: 'The tile archive cannot be read' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one rule of what a job tries again (its `max_retry`, with back-off), kept by the engine's
 * jobs (src-main/engine/jobs/job.ts) and the runtime's (`RETRYABLE_CODES` in fused/_errors.py),
 * as docs/errors.md states it: a run that failed while it ran, in a way the next attempt may not
 * repeat (the UDF raised, ran out of memory or time, its worker died, or the remote engine it ran
 * on failed or was out of reach). A wrong request (code, parameters, format, names, tokens) fails
 * the same way every time; a cancelled or too deep run, or an engine whose workers cannot start
 * (already tried several times), is final too.
 */
export const RETRYABLE_CODES: readonly ErrorCode[] = [
  'UDF_ERR_RUNTIME', 'UDF_ERR_MEMORY', 'UDF_ERR_MEMORY_LIMIT', 'UDF_ERR_TIMEOUT', 'UDF_ERR_WORKER_CRASHED',
  'UDF_ERR_REMOTE_FAILED', 'UDF_ERR_REMOTE_UNREACHABLE', 'UDF_ERR_REMOTE_TIMEOUT',
];

/** An error as it travels between processes and out to users. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  exceptionClass?: string;
  file?: string;
  line?: number;
  traceback?: string;
  /** For UDF_ERR_MISSING_PACKAGE: the module that did not import and what would provide it. */
  missingPackage?: MissingPackage;
}

/** A module a UDF imports that the runtime lacks, and the package (at Fused's version) behind it. */
export interface MissingPackage {
  module: string;
  package: string;
  /** Fused's version of the package, when Fused's image has it (and it has a version). */
  fusedVersion: string | null;
  inFusedImage: boolean;
  /** What `udf-studio install` installs: `package==fusedVersion`, or the bare name. */
  requirement: string;
}

/** An expected error: bad input, bad UDF code, a worker that died. Carries its code as data. */
export class UdfStudioError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;

  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'UdfStudioError';
    this.code = data.code;
    this.data = data;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Shorthand for the common case of a code and a message. */
export function udfError(code: ErrorCode, message: string, extra: Omit<ErrorData, 'code' | 'message'> = {}): UdfStudioError {
  return new UdfStudioError({ code, message, ...extra });
}

/** Whether a string names a known error code (used to check codes coming from a worker). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** One line for a terminal: the message, then where it happened. */
export function describeError(data: ErrorData): string {
  const where = data.file ? ` (${data.file}${data.line ? `:${data.line}` : ''})` : data.line ? ` (line ${data.line})` : '';
  const kind = data.exceptionClass ? `${data.exceptionClass}: ` : '';
  return `${data.code}: ${kind}${data.message}${where}`;
}
