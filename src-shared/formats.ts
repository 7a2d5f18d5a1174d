/**
 * Output formats: the closed list, their aliases and content types.
 *
 * The worker decides which format fits a result (see docs/worker-protocol.md); this module is what
 * the engine, the CLI and the server need to name and check formats before a run.
 */

import { udfError } from './errors.js';

/** Every format the runtime encodes: vector, raster, then the kinds that have one form. */
export const FORMATS = [
  'parquet', 'geojson', 'json', 'feather', 'csv', 'mvt', 'html', 'excel', 'xml',
  'png', 'gif', 'jpeg', 'webp', 'tiff', 'npy',
  'text', 'bytes',
] as const;
export type Format = (typeof FORMATS)[number];

/** What a UDF's return value is, as the worker classifies it. */
export type ResultKind = 'table' | 'geotable' | 'raster' | 'json' | 'text' | 'html' | 'bytes' | 'empty';

const ALIASES: Record<string, Format> = {
  txt: 'text', htm: 'html', geoparquet: 'parquet', jpg: 'jpeg', tif: 'tiff', xlsx: 'excel', pbf: 'mvt', arrow: 'feather',
};

/** File extensions for each format, for `--out` names and `/{token}.{ext}` URLs. */
export const EXTENSIONS: Record<Format, string> = {
  parquet: 'parquet', geojson: 'geojson', json: 'json', feather: 'feather', csv: 'csv', mvt: 'mvt', html: 'html', excel: 'xlsx',
  xml: 'xml', png: 'png', gif: 'gif', jpeg: 'jpg', webp: 'webp', tiff: 'tif', npy: 'npy', text: 'txt', bytes: 'bin',
};

/** Default formats for a human at a terminal: readable text where the result allows it. */
export const READABLE_DEFAULTS: Record<ResultKind, Format> = {
  table: 'csv', geotable: 'geojson', raster: 'png', json: 'json', text: 'text', html: 'html', bytes: 'bytes', empty: 'json',
};

/** Fused's defaults for HTTP responses: parquet for tables, png for images. */
export const HTTP_DEFAULTS: Record<ResultKind, Format> = {
  table: 'parquet', geotable: 'parquet', raster: 'png', json: 'json', text: 'text', html: 'html', bytes: 'bytes', empty: 'json',
};

/** Formats whose bytes are not meant for a terminal. */
export const BINARY_FORMATS: ReadonlySet<Format> = new Set([
  'parquet', 'feather', 'mvt', 'excel', 'png', 'gif', 'jpeg', 'webp', 'tiff', 'npy', 'bytes',
]);

/** Resolves a format name or alias (case-insensitive); throws UDF_ERR_FORMAT for an unknown one. */
export function parseFormat(name: string): Format {
  const lower = name.trim().toLowerCase();
  const format = (FORMATS as readonly string[]).includes(lower) ? (lower as Format) : ALIASES[lower];
  if (!format) throw udfError('UDF_ERR_FORMAT', `unknown format "${name}"; known formats: ${FORMATS.join(', ')}`);
  return format;
}

/** Parses a comma-separated preference list such as `png,parquet`. */
export function parseFormatList(list: string): Format[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw udfError('UDF_ERR_FORMAT', 'the format list is empty');
  return names.map(parseFormat);
}

/** The format a file name asks for by its extension, or null when the extension is not a format. */
export function formatFromFileName(fileName: string): Format | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(fileName);
  if (!match?.[1]) return null;
  try {
    return parseFormat(match[1]);
  } catch {
    return null;
  }
}
