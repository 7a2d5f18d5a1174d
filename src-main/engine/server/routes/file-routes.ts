/**
 * Signed file URLs (files/signed-files.ts): the private-token holder asks for them, anyone with one
 * reads the file it names until it expires.
 *
 * - `GET /server/v1/files/sign?path=...[&expires_in=S]`: one URL, as a JSON string (the hosted
 *   API's answer to `FusedAPI.sign_url`, which `fused.api.sign_url` asks here).
 * - `GET /server/v1/files/sign_prefix?path=...`: `{name: url}` for every file under a folder.
 * - `GET /files/signed/{kind}/{path...}?expires=...&signature=...`: the file, with byte ranges
 *   (video players and DuckDB read parts), readable from any origin like a bucket's URLs, and
 *   sandboxed so an HTML or SVG file runs nothing with this server's origin.
 * - `GET /parquet-viewer?key=SIGNED_URL`: the Parquet file a signed URL of this engine names, as a
 *   page of its schema and first rows. Fused's web app has this page at `{base_web_url}`, which is
 *   this engine here; file openers (Preview_Parquet) put it in an iframe. The signed URL is the
 *   credential, as for the file itself; the page is made by a UDF of the runtime
 *   (`udf_studio_viewers/parquet_viewer.py`) and runs no script.
 */

import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { udfError } from '../../../../src-shared/errors.js';
import {
  DEFAULT_LIFETIME_S, displayName, fileFromUrl, filesUnder, fileToSign, MAX_LIFETIME_S, realPathOf, SIGNED_FILES_BASE,
  signedUrl, verifySignature, type SignedFile,
} from '../../files/signed-files.js';
import { wholeNumber } from '../../jobs/job-request.js';
import { loadOrCreateSigner, type UrlSigner } from '../../tokens/url-signature.js';
import { readUdfFile } from '../../workspace/udf-folder.js';
import { sendJson } from '../http-response.js';
import type { RouteContext, Router } from '../router.js';
import { requirePrivateToken, type ServerServices } from '../services.js';

const CONTENT_TYPES: Record<string, string> = {
  '.parquet': 'application/vnd.apache.parquet', '.json': 'application/json', '.geojson': 'application/geo+json',
  '.csv': 'text/csv; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8', '.xml': 'application/xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.svg': 'image/svg+xml', '.tif': 'image/tiff',
  '.tiff': 'image/tiff', '.pdf': 'application/pdf', '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg', '.wav': 'audio/wav', '.zip': 'application/zip', '.pmtiles': 'application/vnd.pmtiles',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
const FILE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
  'referrer-policy': 'no-referrer',
  'access-control-expose-headers': 'content-range, content-length, accept-ranges, last-modified',
};
/** The viewer page loads nothing and runs nothing: its own inline styles only. */
const VIEWER_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'private, no-cache',
};
const EXPIRES = /^\d{1,12}$/;
const SIGNATURE = /^[0-9a-f]{1,64}$/;

export function registerFileRoutes(router: Router, services: ServerServices): void {
  let signer: UrlSigner | null = null;
  // Read on first use: while the runtime is being set up there is no engine (and no home paths) yet.
  const signerOf = (): UrlSigner => (signer ??= loadOrCreateSigner(services.engine.paths.urlSigningKey));

  router.add('GET', '/server/v1/files/sign', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const file = fileToSign(services.engine.paths, requiredPath(ctx));
    if (file.path === '') throw udfError('UDF_ERR_BAD_REQUEST', 'name a file of the bucket, not the bucket itself');
    sendJson(ctx.res, 200, signedUrl(originOf(ctx.req), signerOf(), file, expiryOf(ctx)));
  });
  router.add('GET', '/server/v1/files/sign_prefix', (ctx) => {
    requirePrivateToken(services, ctx.req);
    const home = services.engine.paths;
    const expires = expiryOf(ctx);
    const origin = originOf(ctx.req);
    const files = filesUnder(home, fileToSign(home, requiredPath(ctx)));
    sendJson(ctx.res, 200, Object.fromEntries(files.map((file) => [displayName(file), signedUrl(origin, signerOf(), file, expires)])));
  });
  router.add('GET', `${SIGNED_FILES_BASE}/:kind/*path`, async (ctx) => {
    const file = fileFromUrl(ctx.params.kind as string, ctx.params.path as string);
    checkSignature(ctx.query, signerOf(), file);
    await sendFile(ctx, realPathOf(services.engine.paths, file), file);
  }, { cors: true });
  router.add('GET', '/parquet-viewer', async (ctx) => {
    const { file, query } = signedFileOf(ctx.query.get('key'));
    checkSignature(query, signerOf(), file);
    const path = realPathOf(services.engine.paths, file);
    const viewer = readUdfFile(join(services.engine.resources.runtime, 'udf_studio_viewers', 'parquet_viewer.py'));
    const { outcome } = await services.engine.run({ udf: viewer, params: { path, name: displayName(file) }, formats: ['html'], cacheMaxAge: 0 });
    if (!outcome.ok) {
      throw udfError('UDF_ERR_BAD_REQUEST', `${displayName(file)} could not be read as Parquet: ${outcome.error.message}`);
    }
    ctx.res.writeHead(200, { ...ctx.headers, ...VIEWER_HEADERS, 'content-length': String(outcome.body.length) });
    ctx.res.end(outcome.body);
  });
}

/** The file a viewer's `key` names: a signed file URL of this engine (any origin: only its path and query count). */
function signedFileOf(key: string | null): { file: SignedFile; query: URLSearchParams } {
  if (!key) throw udfError('UDF_ERR_BAD_REQUEST', 'name the file with ?key= and its signed URL (fused.api.sign_url makes one)');
  let url: URL;
  try {
    url = new URL(key);
  } catch {
    throw udfError('UDF_ERR_BAD_REQUEST', `?key= must be a signed file URL, got "${key.slice(0, 80)}"`);
  }
  const prefix = `${SIGNED_FILES_BASE}/`;
  const [kind = '', ...rest] = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length).split('/') : [];
  if (rest.length === 0) throw udfError('UDF_ERR_BAD_REQUEST', `?key= must be a signed file URL of this engine (${prefix}...), got "${key.slice(0, 80)}"`);
  let path: string;
  try {
    path = rest.map((segment) => decodeURIComponent(segment)).join('/');
  } catch {
    throw udfError('UDF_ERR_BAD_REQUEST', `?key= has a malformed escape: "${key.slice(0, 80)}"`);
  }
  return { file: fileFromUrl(kind, path), query: url.searchParams };
}

function requiredPath(ctx: RouteContext): string {
  const path = ctx.query.get('path');
  if (!path) throw udfError('UDF_ERR_BAD_REQUEST', 'name the file with ?path= (fd://KEY or an absolute path)');
  return path;
}

/** When the URL expires (seconds since the epoch), from `expires_in` (seconds from now). */
function expiryOf(ctx: RouteContext): number {
  const text = ctx.query.get('expires_in');
  const lifetime = text === null ? DEFAULT_LIFETIME_S : wholeNumber(Number(text), 'expires_in', DEFAULT_LIFETIME_S, 1, MAX_LIFETIME_S);
  return Math.floor(Date.now() / 1000) + lifetime;
}

function originOf(req: IncomingMessage): string {
  return `http://${req.headers.host ?? `127.0.0.1:${req.socket.localPort ?? ''}`}`;
}

/** 403 for a URL this home's key did not sign, or one past its expiry (checked in that order). */
function checkSignature(query: URLSearchParams, signer: UrlSigner, file: SignedFile): void {
  const expiresText = query.get('expires') ?? '';
  const signature = query.get('signature') ?? '';
  if (!EXPIRES.test(expiresText) || !SIGNATURE.test(signature)) {
    throw udfError('UDF_ERR_SIGNED_URL', 'a signed file URL needs the expires and signature it was given (fused.api.sign_url makes them)');
  }
  const expires = Number(expiresText);
  if (!verifySignature(signer, file, expires, signature)) throw udfError('UDF_ERR_SIGNED_URL', `the signature does not match ${displayName(file)} and this expiry`);
  if (Date.now() / 1000 > expires) throw udfError('UDF_ERR_SIGNED_URL', `the URL of ${displayName(file)} expired at ${new Date(expires * 1000).toISOString()}; sign it again`);
}

/** The file, whole or the one byte range asked for (other range forms get the whole file, as HTTP allows). */
async function sendFile(ctx: RouteContext, path: string, file: SignedFile): Promise<void> {
  const stat = statSync(path);
  if (!stat.isFile()) throw udfError('UDF_ERR_FILE_NOT_FOUND', `${displayName(file)} is not a file`);
  const headers: Record<string, string> = {
    ...ctx.headers,
    ...FILE_HEADERS,
    'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
    'last-modified': stat.mtime.toUTCString(),
    'cache-control': 'private, no-cache',
  };
  const range = byteRange(ctx.req.headers.range, stat.size);
  if (range === 'unsatisfiable') {
    ctx.res.writeHead(416, { ...headers, 'content-range': `bytes */${stat.size}`, 'content-length': '0' });
    ctx.res.end();
    return;
  }
  const [start, end] = range ?? [0, stat.size - 1];
  if (range) headers['content-range'] = `bytes ${start}-${end}/${stat.size}`;
  ctx.res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(end - start + 1) });
  if (ctx.req.method === 'HEAD' || stat.size === 0) {
    ctx.res.end();
    return;
  }
  await pipeline(createReadStream(path, { start, end }), ctx.res);
}

/** `[start, end]` (inclusive) of a single `bytes=` range, null for none (or a form not served), or unsatisfiable. */
function byteRange(header: string | undefined, size: number): [number, number] | null | 'unsatisfiable' {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (size === 0) return 'unsatisfiable';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 ? 'unsatisfiable' : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return [start, end];
}
