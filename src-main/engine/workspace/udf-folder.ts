/**
 * Reads a UDF folder in Fused's format (docs: shared fused-compat section 1) into a runnable source.
 *
 * A folder is `meta.json` + the code file it names (or inline `code`) + header modules + README.
 * Every problem is reported with the file (and line, for JSON) and never throws past
 * {@link readUdfFolder}, so one broken folder cannot stop a workspace from loading.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UdfStudioError, udfError, type ErrorData } from '../../../src-shared/errors.js';
import { UDF_TYPES, type UdfHeader, type UdfSource, type UdfType } from '../../../src-shared/udf.js';

const README_NAMES = ['README.MD', 'README.md', 'readme.md', 'Readme.md'];

/** A UDF folder that loaded. */
export interface UdfFolder {
  kind: 'udf';
  name: string;
  dir: string;
  source: UdfSource;
  udfType: UdfType;
  /** The whole meta.json as read (null for a folder that has only code); written back unchanged. */
  meta: Record<string, unknown> | null;
  readme: string | null;
  description: string | null;
}

/** A catalogue "node template": markdown or a widget, listed but not runnable. */
export interface NodeTemplateFolder {
  kind: 'node-template';
  name: string;
  dir: string;
  meta: Record<string, unknown>;
}

/** A folder that looks like a UDF but cannot be read. */
export interface BrokenFolder {
  kind: 'broken';
  name: string;
  dir: string;
  error: ErrorData;
}

export type FolderEntry = UdfFolder | NodeTemplateFolder | BrokenFolder;

/** Whether a directory looks like a UDF folder (has meta.json or `<name>.py`). */
export function isUdfFolder(dir: string): boolean {
  return existsSync(join(dir, 'meta.json')) || existsSync(join(dir, `${basename(dir)}.py`));
}

/** Reads a UDF folder; problems come back as a {@link BrokenFolder}, never as a throw. */
export function readUdfFolder(dirPath: string): FolderEntry {
  const dir = resolve(dirPath);
  const name = basename(dir);
  try {
    return readOrThrow(dir, name);
  } catch (error) {
    if (error instanceof UdfStudioError) return { kind: 'broken', name, dir, error: error.data };
    return { kind: 'broken', name, dir, error: { code: 'UDF_ERR_BAD_FOLDER', message: (error as Error).message } };
  }
}

/** A UDF from a single `.py` file (no meta.json): the file's code with no headers. */
export function readUdfFile(filePath: string): UdfFolder {
  const path = resolve(filePath);
  const code = readText(path);
  const name = basename(path).replace(/\.py$/, '');
  return {
    kind: 'udf', name, dir: resolve(path, '..'), udfType: 'auto', meta: null, readme: null, description: null,
    source: makeSource({ name, path, dir: null, code, entrypoint: null, headers: [], metadata: {} }),
  };
}

/**
 * The function a UDF's code runs when nothing names one: the first top-level function decorated
 * with `@fused.udf` (or `@udf`), else `udf`, as the runtime picks it. Fused's Udf JSON needs the name.
 */
export function defaultEntrypoint(code: string): string {
  const decorated = /^@(?:fused\.)?udf\b[^\n]*\n(?:@[^\n]*\n|[ \t)][^\n]*\n)*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)/m.exec(code);
  return decorated?.[1] ?? 'udf';
}

/** Builds a {@link UdfSource}, computing the key from everything that changes what runs. */
export function makeSource(fields: Omit<UdfSource, 'key'>): UdfSource {
  const hash = createHash('sha256');
  hash.update(fields.code).update('\0').update(fields.entrypoint ?? '').update('\0');
  for (const header of fields.headers) hash.update(header.moduleName).update('\0').update(header.code).update('\0');
  return { key: hash.digest('hex'), ...fields };
}

function readOrThrow(dir: string, folderName: string): FolderEntry {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw udfError('UDF_ERR_NOT_FOUND', `${dir} is not a folder`);
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) {
    const codePath = join(dir, `${folderName}.py`);
    if (!existsSync(codePath)) throw udfError('UDF_ERR_BAD_FOLDER', `${dir} has neither meta.json nor ${folderName}.py`, { file: dir });
    return { ...readUdfFile(codePath), dir, readme: readReadme(dir) };
  }
  const meta = parseJsonFile(metaPath);
  const step = firstStep(meta);
  const udf = asObject(step?.udf);
  if (!udf) throw udfError('UDF_ERR_BAD_FOLDER', 'meta.json has no job_config.steps[0].udf object', { file: metaPath });
  const metadata = asObject(udf.metadata) ?? {};
  const name = typeof udf.name === 'string' && udf.name ? udf.name : folderName;
  if ([meta.isNodeTemplate, step?.isNodeTemplate, udf.isNodeTemplate, metadata.isNodeTemplate, metadata['fused:isNodeTemplate']].includes(true)) {
    return { kind: 'node-template', name, dir, meta };
  }
  const { code, path } = readCode(dir, name, udf, metaPath);
  const headers = readHeaders(dir, udf.headers, metaPath);
  const udfType = UDF_TYPES.find((t) => t === metadata['fused:udfType']) ?? 'auto';
  const description = typeof metadata['fused:description'] === 'string' ? metadata['fused:description'] : null;
  const entrypoint = typeof udf.entrypoint === 'string' && udf.entrypoint ? udf.entrypoint : null;
  return {
    kind: 'udf', name, dir, udfType, meta, readme: readReadme(dir), description,
    source: makeSource({ name, path, dir, code, entrypoint, headers, metadata }),
  };
}

function readCode(dir: string, name: string, udf: Record<string, unknown>, metaPath: string): { code: string; path: string | null } {
  if (typeof udf.source === 'string' && udf.source) {
    const path = join(dir, safeFileName(udf.source, metaPath));
    if (!existsSync(path)) throw udfError('UDF_ERR_BAD_FOLDER', `meta.json names the source file "${udf.source}", which does not exist`, { file: metaPath });
    return { code: readText(path), path };
  }
  if (typeof udf.code === 'string') return { code: udf.code, path: null };
  for (const candidate of [`udf_${name}.py`, `${name}.py`, `${basename(dir)}.py`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return { code: readText(path), path };
  }
  throw udfError('UDF_ERR_BAD_FOLDER', 'meta.json names no source file and has no inline code', { file: metaPath });
}

function readHeaders(dir: string, raw: unknown, metaPath: string): UdfHeader[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw udfError('UDF_ERR_BAD_FOLDER', 'meta.json "headers" must be a list', { file: metaPath });
  return raw.map((entry, index) => {
    const header = asObject(entry);
    const moduleName = header?.module_name;
    if (!header || typeof moduleName !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName)) {
      throw udfError('UDF_ERR_BAD_FOLDER', `headers[${index}] needs a "module_name" that is a Python identifier`, { file: metaPath });
    }
    if (typeof header.source_file === 'string') {
      const path = join(dir, safeFileName(header.source_file, metaPath));
      if (!existsSync(path)) throw udfError('UDF_ERR_BAD_FOLDER', `header module "${moduleName}" names ${header.source_file}, which does not exist`, { file: metaPath });
      return { moduleName, path, code: readText(path) };
    }
    const inline = header.source_code ?? header.code;
    if (typeof inline === 'string') return { moduleName, path: null, code: inline };
    throw udfError('UDF_ERR_BAD_FOLDER', `header module "${moduleName}" has neither "source_file" nor inline code`, { file: metaPath });
  });
}

/** A file name from meta.json must stay inside the folder. */
function safeFileName(name: string, metaPath: string): string {
  if (name.includes('..') || name.startsWith('/') || name.includes('\\') || name.includes('\0')) {
    throw udfError('UDF_ERR_BAD_FOLDER', `meta.json names "${name}", which is outside the UDF folder`, { file: metaPath });
  }
  return name;
}

function readReadme(dir: string): string | null {
  for (const name of README_NAMES) {
    const path = join(dir, name);
    if (existsSync(path)) return readText(path);
  }
  return null;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw udfError('UDF_ERR_BAD_FOLDER', `cannot read ${path}: ${(error as Error).message}`, { file: path });
  }
}

/** Parses a JSON file, reporting a syntax error with its line. */
export function parseJsonFile(path: string): Record<string, unknown> {
  const text = readText(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length;
    throw udfError('UDF_ERR_BAD_FOLDER', `invalid JSON: ${message}`, line === undefined ? { file: path } : { file: path, line });
  }
  const object = asObject(value);
  if (!object) throw udfError('UDF_ERR_BAD_FOLDER', 'meta.json must hold a JSON object', { file: path });
  return object;
}

function firstStep(meta: Record<string, unknown>): Record<string, unknown> | null {
  const steps = asObject(meta.job_config)?.steps;
  return Array.isArray(steps) ? asObject(steps[0]) : null;
}

/** The value as a plain JSON object, or null (arrays and null are not). */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
