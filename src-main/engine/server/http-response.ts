/**
 * Writing responses: JSON, errors (the one adapter from error codes to HTTP), and run results with
 * Fused's `x-fused-metadata` header.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ERROR_CODES, UdfStudioError, type ErrorData } from '../../../src-shared/errors.js';
import type { RunOutcome } from '../../../src-shared/udf.js';
import type { EngineResult } from '../engine-run.js';
import { busyDatabase } from '../store/database.js';
import { acceptsGzip, matchesEtag, type HitAnswer } from './answer-memo.js';

const gzipAsync = promisify(gzip);

/** Characters of stdout/stderr carried in the metadata header; clients cap header sizes near 16 KiB. */
const METADATA_TEXT_LIMIT = 4_000;
/**
 * Bytes of the whole metadata header: the official client's async reader (aiohttp, used by
 * `fused.run_async` and `udf.map`) refuses a header field over 12,000 bytes, and escaped non-ASCII
 * text takes six bytes a character.
 */
export const METADATA_HEADER_LIMIT = 8_000;
/**
 * Every run result is UDF output, which may be HTML or SVG built from a caller's parameters, or a
 * remote's body with its own content type. Served from this origin it would act as the window (its
 * session cookie, its API), so it is confined as Jupyter confines the files it serves: a sandbox
 * without allow-same-origin gives it an opaque origin of its own (no cookies, no storage, no
 * same-origin requests here); scripts may run, so interactive HTML results still work when opened
 * from a shared URL. `nosniff`: a body is only ever what its content type says.
 */
export const UDF_OUTPUT_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': 'sandbox allow-scripts',
  'x-content-type-options': 'nosniff',
};
/** Bodies smaller than this are not worth compressing. */
const GZIP_MIN_BYTES = 1_024;
const COMPRESSIBLE = /^(application\/(json|geo\+json|xml|vnd\.mapbox-vector-tile|x-protobuf)|text\/)/;

/**
 * The JSON body of every error response: `{"error": {code, message, status, ...}}`, plus the
 * top-level `detail` and `message` that the official Fused client reads (as the hosted API's
 * FastAPI errors carry them), so its exceptions read as sentences.
 */
export interface ErrorBody {
  error: ErrorData & { status: number; title: string };
  detail: string;
  message: string;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

/** Sends an error: expected ones with their code's status; anything else is a 500 and logged. */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}, log?: (line: string) => void): void {
  // The database locked by another process past SQLite's short wait: a coded 503, not an internal error.
  error = busyDatabase(error) ?? error;
  const data: ErrorData = error instanceof UdfStudioError ? error.data : { code: 'UDF_ERR_PROTOCOL', message: 'internal error' };
  const status = error instanceof UdfStudioError ? error.status : 500;
  if (!(error instanceof UdfStudioError)) log?.(`internal error: ${(error as Error).stack ?? String(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = { error: { ...data, status, title: ERROR_CODES[data.code].title }, detail: data.message, message: data.message };
  sendJson(res, status, body, headers);
}

/** Cached results reuse their body buffer, so their metadata header is built once per entry. */
const metadataOfBody = new WeakMap<Uint8Array, string>();
/** The header of every successful run that printed nothing. */
let silentSuccess: string | undefined;

/** Fused's `x-fused-metadata` header for a run, ASCII-only so any client can read it. */
export function fusedMetadata(outcome: RunOutcome): string {
  if (outcome.ok) {
    // Most runs print nothing: they all share one header.
    if (outcome.stdout === '' && outcome.stderr === '') return silentSuccess ??= buildMetadata(outcome);
    const known = metadataOfBody.get(outcome.body);
    if (known !== undefined) return known;
    const built = buildMetadata(outcome);
    metadataOfBody.set(outcome.body, built);
    return built;
  }
  return buildMetadata(outcome);
}

/**
 * The metadata with its texts clipped to fewer characters until the final header value (escaped,
 * in bytes) fits {@link METADATA_HEADER_LIMIT}; every text is clipped, down to none if need be.
 */
function buildMetadata(outcome: RunOutcome): string {
  for (let limit = METADATA_TEXT_LIMIT; ; limit = limit > 1 ? Math.floor(limit / 2) : 0) {
    const header = metadataHeader(outcome, limit);
    if (Buffer.byteLength(header) <= METADATA_HEADER_LIMIT || limit === 0) return header;
  }
}

function metadataHeader(outcome: RunOutcome, limit: number): string {
  const error = outcome.ok ? null : outcome.error;
  const metadata = {
    stdout: clip(outcome.stdout, limit),
    stderr: clip(outcome.stderr, limit),
    has_exception: !outcome.ok,
    exception_class: error?.exceptionClass === undefined ? null : clip(error.exceptionClass, limit),
    errormsg: error ? clip(error.message, limit) : null,
    lineno: error?.line ?? null,
    exception: error ? clip(`${error.exceptionClass ? `${error.exceptionClass}: ` : ''}${error.message}`, limit) : null,
    error_type: error?.code ?? null,
  };
  return JSON.stringify(metadata).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Says that a result was answered but could not be cached, and why. */
export const CACHE_ERROR_HEADER = 'x-udf-studio-cache-error';
const HEADER_TEXT_LIMIT = 400;

/** Text as a header value: printable ASCII on one line, not too long. */
function headerText(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]+/g, ' ');
  return flat.length > HEADER_TEXT_LIMIT ? `${flat.slice(0, HEADER_TEXT_LIMIT - 3)}...` : flat;
}

export interface SendOptions {
  tile: boolean;
  headers: Readonly<Record<string, string>>;
  /** Told a cache hit's answer as it is sent (and whether its body is the cache entry's own bytes). */
  remember?: (answer: HitAnswer, bodyIsShared: boolean) => void;
}

/**
 * Sends a run's result (or its failure) with the metadata and cache headers. The ETag lets clients
 * revalidate (304); `cache-control: no-cache` makes them do so, so an edited UDF shows at once.
 * `X-Fused-Cache-Disable: true` (the official client sends it with every run) turns off caching
 * between the server and the client, as the hosted API's edge cache does: no ETag, no 304,
 * `no-store`. The result cache behind the server still answers; `cache_max_age` governs that.
 * Headers go to writeHead as one flat list: this is the hot path of a cached tile. A hit's answer
 * is handed to `remember` (the answer memo) as it is sent.
 */
export async function sendRunResult(req: IncomingMessage, res: ServerResponse, result: EngineResult, options: SendOptions): Promise<void> {
  const { outcome } = result;
  const headers: string[] = ['x-fused-metadata', fusedMetadata(outcome), 'x-udf-studio-cache', result.cache];
  if (result.cacheError) headers.push(CACHE_ERROR_HEADER, headerText(`${result.cacheError.code}: ${result.cacheError.message}`));
  for (const name in UDF_OUTPUT_HEADERS) headers.push(name, UDF_OUTPUT_HEADERS[name] as string);
  for (const name in options.headers) headers.push(name, options.headers[name] as string);
  if (result.cache === 'hit') headers.push('x-fused-cached', 'true');
  if (!outcome.ok) {
    sendError(res, new UdfStudioError(outcome.error), pairsToObject(headers));
    return;
  }
  const remember = result.cache === 'hit' ? options.remember : undefined;
  const empty = options.tile && (outcome.kind === 'empty' || outcome.empty);
  const plain = Buffer.from(outcome.body.buffer, outcome.body.byteOffset, outcome.body.byteLength);
  const compress = !empty && plain.length >= GZIP_MIN_BYTES && COMPRESSIBLE.test(outcome.contentType) && acceptsGzip(req);
  const plainAnswer = (etag: string | null): HitAnswer => (empty
    ? { status: 204, headers, bodyHeaders: [], body: Buffer.alloc(0), etag }
    : { status: 200, headers, bodyHeaders: ['content-type', outcome.contentType, 'content-length', String(plain.length)], body: plain, etag });
  let etag: string | null = null;
  if (isHttpCacheDisabled(req)) {
    headers.push('cache-control', 'no-store');
  } else if (result.etag) {
    etag = `"${result.etag.slice(0, 32)}"`;
    headers.push('etag', etag, 'cache-control', 'no-cache');
    if (matchesEtag(req.headers['if-none-match'], etag)) {
      // A client that only ever revalidates is remembered too, unless its answer needs compressing.
      if (!compress) remember?.(plainAnswer(etag), true);
      res.writeHead(304, headers);
      res.end();
      return;
    }
  }
  if (!compress) {
    const answer = plainAnswer(etag);
    remember?.(answer, true);
    res.writeHead(answer.status, [...headers, ...answer.bodyHeaders]);
    res.end(empty ? undefined : plain);
    return;
  }
  const body = await gzipAsync(plain);
  const bodyHeaders = ['content-type', outcome.contentType, 'content-encoding', 'gzip', 'vary', 'accept-encoding', 'content-length', String(body.length)];
  remember?.({ status: 200, headers, bodyHeaders, body, etag }, false);
  res.writeHead(200, [...headers, ...bodyHeaders]);
  res.end(body);
}

function isHttpCacheDisabled(req: IncomingMessage): boolean {
  const value = req.headers['x-fused-cache-disable'];
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

function pairsToObject(pairs: string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) object[pairs[i] as string] = pairs[i + 1] as string;
  return object;
}


function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  // Never end on half a surrogate pair.
  const end = limit > 0 && /[\ud800-\udbff]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
