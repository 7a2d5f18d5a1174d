/**
 * An export request (`POST /api/exports`, the CLI, the dialog) checked field by field: the area
 * (UDF_ERR_EXPORT_AREA), the archive's path (UDF_ERR_EXPORT_TARGET), the rest (UDF_ERR_BAD_REQUEST).
 */

import { accessSync, constants, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import { TILE_FORMATS, type ArchiveFormat, type TileFormat } from '../../../src-shared/exports.js';
import { stringParams } from '../../../src-shared/query-names.js';
import { checkRange, type TileRange } from './tile-range.js';

export interface CheckedExport {
  udf: string;
  range: TileRange;
  /** The archive's absolute path. */
  out: string;
  format: ArchiveFormat;
  params: Record<string, string>;
  tileFormat: TileFormat | null;
  noCache: boolean;
  force: boolean;
}

/** Checks a request; a relative `out` is taken inside `baseFolder` (the first workspace folder). */
export function checkExportRequest(body: Record<string, unknown>, baseFolder: string): CheckedExport {
  if (typeof body.udf !== 'string' || !body.udf) throw udfError('UDF_ERR_BAD_REQUEST', '"udf" must be the name of a tile UDF');
  const range = checkRange(body.bbox, body.minZoom, body.maxZoom);
  if (typeof body.out !== 'string' || !body.out.trim()) throw udfError('UDF_ERR_EXPORT_TARGET', '"out" must be the archive\'s path, ending in .pmtiles or .mbtiles');
  const out = isAbsolute(body.out) ? resolve(body.out) : resolve(baseFolder, body.out);
  const format = archiveFormat(out);
  checkTarget(out);
  return {
    udf: body.udf, range, out, format, params: stringParams(body.params), tileFormat: tileFormatOf(body.tileFormat),
    noCache: flag(body.noCache, 'noCache'), force: flag(body.force, 'force'),
  };
}

/** The archive format its extension names. */
export function archiveFormat(path: string): ArchiveFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.pmtiles') return 'pmtiles';
  if (extension === '.mbtiles') return 'mbtiles';
  throw udfError('UDF_ERR_EXPORT_TARGET', `the archive's name must end in .pmtiles or .mbtiles, got "${basename(path)}"`);
}

/** The folder must exist and take new files; an existing archive is replaced only once the new one is whole. */
function checkTarget(out: string): void {
  const folder = dirname(out);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw udfError('UDF_ERR_EXPORT_TARGET', `cannot write ${out}: the folder ${folder} does not exist`);
  }
  if (!isFolder) throw udfError('UDF_ERR_EXPORT_TARGET', `cannot write ${out}: ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw udfError('UDF_ERR_EXPORT_TARGET', `cannot write ${out}: the folder ${folder} is not writable`);
  }
  try {
    if (statSync(out).isDirectory()) throw udfError('UDF_ERR_EXPORT_TARGET', `cannot write ${out}: it is a folder`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function tileFormatOf(raw: unknown): TileFormat | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' || !(TILE_FORMATS as readonly string[]).includes(raw)) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"tileFormat" must be one of ${TILE_FORMATS.join(', ')}`);
  }
  return raw as TileFormat;
}

function flag(raw: unknown, name: string): boolean {
  if (raw === undefined || raw === null) return false;
  if (typeof raw !== 'boolean') throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" must be true or false`);
  return raw;
}
