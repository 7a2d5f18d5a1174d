/**
 * A UDF as the storage API carries it (`udf_body`, Fused's Udf JSON: name, entrypoint, parameters,
 * metadata, code, headers, plus the README), its content hash, and writing one into a workspace as
 * a UDF folder, atomically.
 *
 * The content hash is the same on both sides of a sync whatever the folder layout: it covers what
 * the UDF is (code, headers, metadata, README), not where its files are or its `fused:id`.
 */

import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import { canonicalJson } from '../cache/cache-key.js';
import { asObject, defaultEntrypoint, type UdfFolder } from '../workspace/udf-folder.js';

/** A UDF's name: a folder name, a Python file name and a URL segment. */
export const UDF_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
const MODULE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const README_NAMES = ['README.MD', 'README.md', 'readme.md', 'Readme.md'];
/**
 * Keys of the udf object that describe files on disk (rebuilt when a folder is written), and the
 * official client's collection fields (where the folder sits says that, not meta.json).
 */
const FILE_KEYS = new Set(['source', 'headers', 'code', 'collection_id', 'collection_name']);

export interface UdfBodyHeader {
  module_name: string;
  source_code: string;
}

/** Fused's Udf JSON with the README; other keys of meta.json's udf object ride along unchanged. */
export interface UdfBody {
  type: string;
  name: string;
  entrypoint: string;
  parameters: Record<string, unknown>;
  metadata: Record<string, unknown>;
  code: string;
  headers: UdfBodyHeader[];
  readme: string | null;
  [extra: string]: unknown;
}

/** The body of a UDF folder as read from the workspace. */
export function udfBodyOf(udf: UdfFolder): UdfBody {
  const step = stepUdf(udf.meta);
  const extras = Object.fromEntries(Object.entries(step ?? {}).filter(([key]) => !FILE_KEYS.has(key)));
  return {
    ...extras,
    type: typeof extras.type === 'string' ? extras.type : 'geopandas_v2',
    name: udf.name,
    entrypoint: udf.source.entrypoint ?? defaultEntrypoint(udf.source.code),
    parameters: asObject(extras.parameters) ?? {},
    metadata: udf.source.metadata,
    code: udf.source.code,
    headers: udf.source.headers.map((header) => ({ module_name: header.moduleName, source_code: header.code })),
    readme: udf.readme,
  };
}

/**
 * Checks a `udf_body` from the network (a JSON string or an object). Anything that would not make a
 * valid folder is refused with `code` (UDF_ERR_BAD_REQUEST on the server, UDF_ERR_REMOTE_BAD_ANSWER
 * when a remote sent it).
 */
export function parseUdfBody(raw: unknown, code: 'UDF_ERR_BAD_REQUEST' | 'UDF_ERR_REMOTE_BAD_ANSWER'): UdfBody {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw udfError(code, 'udf_body is not valid JSON');
    }
  }
  const body = asObject(value);
  if (!body) throw udfError(code, 'udf_body must be a JSON object (a UDF: name, code, headers, ...)');
  if (typeof body.name !== 'string' || !UDF_NAME_PATTERN.test(body.name)) throw udfError(code, 'udf_body.name must be a UDF name: a letter or _, then letters, digits, _ or - (at most 100)');
  if (typeof body.code !== 'string' || !body.code.trim()) throw udfError(code, 'udf_body.code must be the UDF\'s Python source');
  const headers = (body.headers ?? []) as unknown;
  if (!Array.isArray(headers)) throw udfError(code, 'udf_body.headers must be a list');
  const checkedHeaders = headers.map((entry, index) => {
    const header = asObject(entry);
    const source = header?.source_code ?? header?.code;
    if (typeof header?.module_name !== 'string' || !MODULE_PATTERN.test(header.module_name) || typeof source !== 'string') {
      throw udfError(code, `udf_body.headers[${index}] needs "module_name" (a Python identifier) and "source_code"`);
    }
    return { module_name: header.module_name, source_code: source };
  });
  if (new Set(checkedHeaders.map((h) => h.module_name)).size !== checkedHeaders.length) throw udfError(code, 'udf_body.headers names a module twice');
  // The official client sends `"metadata": null` for a UDF that has none yet.
  if (body.metadata !== undefined && body.metadata !== null && !asObject(body.metadata)) throw udfError(code, 'udf_body.metadata must be an object or null');
  if (body.parameters !== undefined && body.parameters !== null && !asObject(body.parameters)) throw udfError(code, 'udf_body.parameters must be an object or null');
  if (body.readme !== undefined && body.readme !== null && typeof body.readme !== 'string') throw udfError(code, 'udf_body.readme must be text or null');
  const entrypoint = typeof body.entrypoint === 'string' && MODULE_PATTERN.test(body.entrypoint) ? body.entrypoint : defaultEntrypoint(body.code);
  return {
    ...Object.fromEntries(Object.entries(body).filter(([key]) => !FILE_KEYS.has(key))),
    type: typeof body.type === 'string' ? body.type : 'geopandas_v2',
    name: body.name,
    entrypoint,
    parameters: asObject(body.parameters) ?? {},
    metadata: asObject(body.metadata) ?? {},
    code: body.code,
    headers: checkedHeaders,
    readme: typeof body.readme === 'string' ? body.readme : null,
  };
}

/** The hash both sides compare: everything but the `fused:id`, in canonical JSON. */
export function contentHash(body: UdfBody): string {
  const metadata = { ...body.metadata };
  delete metadata['fused:id'];
  return createHash('sha256').update(canonicalJson({ ...body, metadata })).digest('hex');
}

/**
 * Writes `body` as the folder `parent/folderName`, keeping `id` as its `fused:id`. The folder is
 * built beside the target and renamed into place, so readers see the old UDF or the new one,
 * never a mix; files of an old folder that the body does not describe (data, notes) are kept.
 */
export function writeUdfFolder(parent: string, folderName: string, body: UdfBody, id: string, previous: UdfFolder | null = null): string {
  if (!UDF_NAME_PATTERN.test(folderName)) throw udfError('UDF_ERR_BAD_REQUEST', `"${folderName}" cannot be a folder name`);
  mkdirSync(parent, { recursive: true });
  const target = join(parent, folderName);
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = join(parent, `.${folderName}.incoming-${suffix}`);
  try {
    if (previous && existsSync(previous.dir)) {
      cpSync(previous.dir, staging, { recursive: true });
      for (const file of describedFiles(previous)) rmSync(join(staging, file), { force: true });
    } else {
      mkdirSync(staging);
    }
    writeFiles(staging, body, id);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (!existsSync(target)) {
    renameSync(staging, target);
    return target;
  }
  const old = join(parent, `.${folderName}.replaced-${suffix}`);
  renameSync(target, old);
  try {
    renameSync(staging, target);
  } catch (error) {
    renameSync(old, target);
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(old, { recursive: true, force: true });
  return target;
}

/** Removes a UDF folder: renamed aside first, so it vanishes from the workspace in one step. */
export function removeUdfFolder(dir: string): void {
  const aside = join(dir, '..', `.${basename(dir)}.removed-${process.pid}-${randomBytes(4).toString('hex')}`);
  renameSync(dir, aside);
  rmSync(aside, { recursive: true, force: true });
}

function writeFiles(dir: string, body: UdfBody, id: string): void {
  const codeFile = `${body.name}.py`;
  const headerFiles = body.headers.map((header) => ({
    module_name: header.module_name,
    source_file: `${header.module_name}.py` === codeFile ? `${header.module_name}_module.py` : `${header.module_name}.py`,
    code: header.source_code,
  }));
  const { readme, code, headers, ...udfFields } = body;
  void code;
  void headers;
  const meta = {
    version: '0.0.3',
    job_config: {
      version: '0.0.3', name: null, metadata: null,
      steps: [{
        type: 'udf',
        udf: { ...udfFields, source: codeFile, headers: headerFiles.map(({ module_name, source_file }) => ({ module_name, source_file })), metadata: { ...body.metadata, 'fused:id': id } },
      }],
    },
  };
  writeFileSync(join(dir, codeFile), body.code);
  for (const header of headerFiles) writeFileSync(join(dir, header.source_file), header.code);
  if (readme !== null) writeFileSync(join(dir, 'README.md'), readme);
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

/** The files of a folder that its body describes (replaced on write; everything else is kept). */
function describedFiles(udf: UdfFolder): string[] {
  const files = ['meta.json', ...README_NAMES];
  if (udf.source.path) files.push(basename(udf.source.path));
  for (const header of udf.source.headers) if (header.path) files.push(basename(header.path));
  return files;
}

function stepUdf(meta: Record<string, unknown> | null): Record<string, unknown> | null {
  const steps = asObject(meta?.job_config)?.steps;
  return Array.isArray(steps) ? asObject(asObject(steps[0])?.udf) : null;
}
