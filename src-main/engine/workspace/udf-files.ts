/**
 * Changing UDF folders from the window: saving a file, duplicating a folder.
 *
 * Saves are atomic (temp file, then rename) like an editor's, so the watcher sees one settled
 * change and a reader never sees half a file.
 */

import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import { UDF_NAME_PATTERN } from './udf-template.js';
import type { UdfFolder } from './udf-folder.js';

/** Largest file the window saves (a UDF's code many times over). */
export const MAX_SAVED_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Writes one of a UDF's own files: its code, a header module or its README. Anything else (a path
 * outside the folder, meta.json, a file the UDF does not name) is refused. With `base` (the text
 * the edits started from), a file that no longer holds it is not overwritten: UDF_ERR_FILE_CHANGED.
 */
export function saveUdfFile(udf: UdfFolder, fileName: string, content: string, base?: string): string {
  if (Buffer.byteLength(content) > MAX_SAVED_FILE_BYTES) throw udfError('UDF_ERR_BODY_TOO_LARGE', `the file is larger than ${MAX_SAVED_FILE_BYTES} bytes`);
  const allowed = new Map<string, string>();
  if (udf.source.path) allowed.set(basename(udf.source.path), udf.source.path);
  for (const header of udf.source.headers) if (header.path && dirname(header.path) === udf.dir) allowed.set(basename(header.path), header.path);
  allowed.set('README.md', existingReadme(udf.dir));
  const path = allowed.get(fileName);
  if (!path) {
    const names = [...allowed.keys()].join(', ');
    throw udfError('UDF_ERR_BAD_REQUEST', `"${fileName}" is not a file of ${udf.name} the window can save; its files are ${names}`);
  }
  if (base !== undefined && readOrEmpty(path) !== base) {
    throw udfError('UDF_ERR_FILE_CHANGED', `${fileName} changed on disk since it was loaded; nothing was saved (reload it, or save without a base to keep your version)`);
  }
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.saving`);
  writeFileSync(temporary, content);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return path;
}

/** A file's text, or '' when it does not exist (a README not written yet). */
function readOrEmpty(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/**
 * Copies a UDF folder next to itself under a new name, renaming its code file and the names in
 * meta.json; returns the new folder.
 */
export function duplicateUdf(udf: UdfFolder, newName: string): string {
  if (!UDF_NAME_PATTERN.test(newName)) {
    throw udfError('UDF_ERR_USAGE', `"${newName}" is not a usable UDF name: start with a letter, then letters, digits, _ or - (at most 100)`);
  }
  const target = resolve(dirname(udf.dir), newName);
  if (existsSync(target)) throw udfError('UDF_ERR_USAGE', `${target} already exists`);
  cpSync(udf.dir, target, { recursive: true, filter: (source) => !source.split(sep).includes('__pycache__') });
  const oldCode = udf.source.path ? basename(udf.source.path) : null;
  const newCode = `${newName}.py`;
  if (oldCode && (oldCode === `${basename(udf.dir)}.py` || oldCode === `${udf.name}.py`) && !existsSync(join(target, newCode))) {
    renameSync(join(target, oldCode), join(target, newCode));
  }
  const metaPath = join(target, 'meta.json');
  if (existsSync(metaPath)) writeFileSync(metaPath, renamedMeta(readFileSync(metaPath, 'utf8'), newName, oldCode, newCode));
  return target;
}

/** meta.json with the UDF's name, slug and source file changed, and its Fused id dropped. */
function renamedMeta(text: string, newName: string, oldCode: string | null, newCode: string): string {
  const meta = JSON.parse(text) as { job_config?: { steps?: Array<{ udf?: Record<string, unknown> }> } };
  const udf = meta.job_config?.steps?.[0]?.udf;
  if (udf) {
    udf.name = newName;
    if (oldCode && udf.source === oldCode) udf.source = newCode;
    const metadata = (typeof udf.metadata === 'object' && udf.metadata !== null ? udf.metadata : {}) as Record<string, unknown>;
    metadata['fused:name'] = newName;
    metadata['fused:slug'] = newName;
    // A copy is a new UDF: it must not share the original's id (cache, tokens).
    metadata['fused:id'] = null;
    udf.metadata = metadata;
  }
  return `${JSON.stringify(meta, null, 2)}\n`;
}

function existingReadme(dir: string): string {
  for (const name of ['README.md', 'README.MD', 'readme.md', 'Readme.md']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return join(dir, 'README.md');
}
