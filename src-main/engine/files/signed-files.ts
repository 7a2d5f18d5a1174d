/**
 * Files of this machine under signed URLs that expire: what `fused.api.sign_url` gives for `fd://`
 * and local paths, so that a browser, a map client or another process can open a file without a
 * token.
 *
 * Only the private-token holder gets URLs signed (`GET /server/v1/files/sign`). A URL names the file
 * (`/files/signed/fd/KEY` for the home's bucket, `/files/signed/local/ABSOLUTE/PATH` for any other
 * file), when it expires, and an HMAC of both made with the home's key; nothing else is served. A
 * bucket file must still be inside the bucket once symbolic links are followed.
 */

import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { udfError } from '../../../src-shared/errors.js';
import type { HomePaths } from '../home.js';
import type { UrlSigner } from '../tokens/url-signature.js';

/** Where signed files are served; the kind and the file's path follow. */
export const SIGNED_FILES_BASE = '/files/signed';
/** How long a URL lasts unless the request says otherwise (Fused's bucket URLs last an hour too). */
export const DEFAULT_LIFETIME_S = 3_600;
export const MAX_LIFETIME_S = 7 * 24 * 3_600;
/** The most files one `sign_prefix` answer signs. */
export const MAX_PREFIX_FILES = 10_000;

const BUCKET_SCHEME = 'fd://';
const MOUNT = '/mnt/cache';
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const WINDOWS = process.platform === 'win32';

export type SignedFileKind = 'fd' | 'local';

/** A file a URL can name: a key of the home's bucket (`a/b.parquet`), or an absolute local path. */
export interface SignedFile {
  kind: SignedFileKind;
  path: string;
}

/** The folders a path can be mapped into. */
export type FileHome = Pick<HomePaths, 'bucket' | 'sharedDisk'>;

/**
 * The file a sign request names: `fd://KEY`, `/mnt/cache/...` (the shared disk), `file://...` or an
 * absolute path (one inside the bucket is signed as a bucket file). 400 for anything else, and for
 * a bucket key that climbs out with `..`.
 */
export function fileToSign(home: FileHome, raw: string): SignedFile {
  if (raw.includes('\0')) throw udfError('UDF_ERR_BAD_REQUEST', 'the path holds a NUL character');
  if (raw.startsWith(BUCKET_SCHEME)) return { kind: 'fd', path: bucketKey(raw.slice(BUCKET_SCHEME.length), raw) };
  let local = raw;
  if (raw.startsWith('file://')) local = localFileUrl(raw);
  else if (URL_SCHEME.test(raw)) {
    throw udfError('UDF_ERR_BAD_REQUEST', `the engine signs fd:// and local paths, not "${raw.slice(0, 200)}" (fused.api.sign_url presigns s3:// paths itself)`);
  } else if (raw === MOUNT || raw.startsWith(`${MOUNT}/`)) local = onSharedDisk(home.sharedDisk, raw);
  if (!isAbsolute(local)) throw udfError('UDF_ERR_BAD_REQUEST', `give fd://KEY or an absolute path, not the relative path "${raw.slice(0, 200)}"`);
  const absolute = resolve(local);
  const inBucket = relative(home.bucket, absolute);
  if (inBucket === '' || (!inBucket.startsWith('..') && !isAbsolute(inBucket))) return { kind: 'fd', path: inBucket.split(sep).join('/') };
  return { kind: 'local', path: absolute };
}

/** `fd://KEY` or the absolute path: how a file is named back to the caller. */
export function displayName(file: SignedFile): string {
  return file.kind === 'fd' ? `${BUCKET_SCHEME}${file.path}` : file.path;
}

/** The URL that serves `file` until `expires` (seconds since the epoch). */
export function signedUrl(origin: string, signer: UrlSigner, file: SignedFile, expires: number): string {
  const segments = file.kind === 'fd' ? file.path.split('/') : file.path.split(WINDOWS ? /[\\/]/ : '/');
  const path = segments.filter(Boolean).map(encodeURIComponent).join('/');
  return `${origin}${SIGNED_FILES_BASE}/${file.kind}/${path}?expires=${expires}&signature=${signer.sign(signedMessage(file, expires))}`;
}

/**
 * The file a signed URL's path names (its kind and the rest of its path, decoded). 404 for an
 * unknown kind; 400 for `.`, `..` or empty segments and backslashes, whatever the signature says.
 */
export function fileFromUrl(kind: string, rest: string): SignedFile {
  if (kind !== 'fd' && kind !== 'local') throw udfError('UDF_ERR_ROUTE', `no signed files of kind "${kind.slice(0, 40)}" (fd or local)`);
  const segments = rest.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0'))) {
    throw udfError('UDF_ERR_BAD_REQUEST', 'a signed file path may not hold ".", ".." or empty segments, or backslashes');
  }
  if (kind === 'fd') return { kind, path: segments.join('/') };
  return { kind, path: WINDOWS ? segments.join('\\') : `/${segments.join('/')}` };
}

/** Whether `signature` signs `file` until `expires`; the caller checks the expiry itself. */
export function verifySignature(signer: UrlSigner, file: SignedFile, expires: number, signature: string): boolean {
  return signer.verify(signedMessage(file, expires), signature);
}

/**
 * The real path of a signed file. A bucket file is looked up below the bucket and must stay there
 * once links are followed (404 otherwise, as for a file that does not exist).
 */
export function realPathOf(home: FileHome, file: SignedFile): string {
  const candidate = file.kind === 'fd' ? join(home.bucket, ...file.path.split('/')) : file.path;
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    throw udfError('UDF_ERR_FILE_NOT_FOUND', `${displayName(file)} does not exist`);
  }
  if (file.kind === 'fd') {
    const inBucket = relative(realpathSync(home.bucket), real);
    if (inBucket.startsWith('..') || isAbsolute(inBucket)) throw udfError('UDF_ERR_FILE_NOT_FOUND', `${displayName(file)} links outside the bucket`);
  }
  return real;
}

/**
 * Every regular file under a folder (a file: itself), in path order, for `sign_prefix`. Links are
 * not followed. 404 when nothing is there; 400 past {@link MAX_PREFIX_FILES}.
 */
export function filesUnder(home: FileHome, folder: SignedFile): SignedFile[] {
  const root = folder.kind === 'fd' ? join(home.bucket, ...folder.path.split('/').filter(Boolean)) : folder.path;
  const stat = statSync(root, { throwIfNoEntry: false });
  if (!stat) throw udfError('UDF_ERR_FILE_NOT_FOUND', `${displayName(folder)} does not exist`);
  if (!stat.isDirectory()) return [folder];
  const found: string[] = [];
  const pending = [root];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue; // a folder that went away, or that cannot be read, while listing
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) found.push(path);
    }
    if (found.length > MAX_PREFIX_FILES) throw udfError('UDF_ERR_BAD_REQUEST', `${displayName(folder)} holds more than ${MAX_PREFIX_FILES} files; sign a folder further down`);
  }
  return found.sort().map((path): SignedFile => (folder.kind === 'fd'
    ? { kind: 'fd', path: relative(home.bucket, path).split(sep).join('/') }
    : { kind: 'local', path }));
}

function localFileUrl(raw: string): string {
  try {
    return fileURLToPath(raw);
  } catch {
    throw udfError('UDF_ERR_BAD_REQUEST', `"${raw.slice(0, 200)}" is not a file URL of this machine (file:///ABSOLUTE/PATH)`);
  }
}

/** A `/mnt/cache/...` path on the shared disk, normalised; one whose `..` climbs above it is refused. */
function onSharedDisk(sharedDisk: string, raw: string): string {
  const local = resolve(sharedDisk, `.${raw.slice(MOUNT.length)}`);
  const inside = relative(sharedDisk, local);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) throw udfError('UDF_ERR_BAD_REQUEST', `"${raw.slice(0, 200)}" climbs out of the shared disk (${MOUNT})`);
  return local;
}

function bucketKey(key: string, raw: string): string {
  const segments = key.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..') || key.includes('\\')) throw udfError('UDF_ERR_BAD_REQUEST', `"${raw.slice(0, 200)}" climbs out of the bucket`);
  return segments.join('/');
}

function signedMessage(file: SignedFile, expires: number): string {
  return `${file.kind}\n${file.path}\n${expires}`;
}
