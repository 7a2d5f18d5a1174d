/**
 * What a run URL asks for: UDF parameters, formats and cache settings from the query string, and
 * the tile (with an optional extension) from the path.
 */

import { udfError } from '../../../src-shared/errors.js';
import { parseFormat, parseFormatList, type Format } from '../../../src-shared/formats.js';
import { RESERVED_QUERY } from '../../../src-shared/query-names.js';
import { parseTile, type Tile } from '../../../src-shared/tiles.js';

export interface RunQuery {
  params: Record<string, string>;
  formats: Format[];
  cacheMaxAge: string | null;
}

/** Reads UDF parameters, the format preference list and cache settings from a query string. */
export function parseRunQuery(query: URLSearchParams, requestFormats: Format[] = []): RunQuery {
  // No prototype: `constructor`, `toString` and `__proto__` are parameter names like any other.
  const params = Object.create(null) as Record<string, string>;
  for (const [name, value] of query) {
    if (RESERVED_QUERY.has(name)) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw udfError('UDF_ERR_UNKNOWN_PARAM', `"${name}" is not a parameter name (it is not a Python identifier)`);
    if (Object.hasOwn(params, name)) throw udfError('UDF_ERR_PARAM', `parameter "${name}" is given more than once`);
    params[name] = value;
  }
  const formats: Format[] = [...requestFormats];
  const format = query.get('format');
  if (format !== null) formats.push(...parseFormatList(format));
  for (const name of ['dtype_out_vector', 'dtype_out_raster']) {
    const value = query.get(name);
    if (value !== null) formats.push(parseFormat(value));
  }
  let cacheMaxAge = query.get('cache_max_age');
  if (cacheMaxAge !== null && !/^\d+[smhd]?$/.test(cacheMaxAge)) {
    throw udfError('UDF_ERR_PARAM', `cache_max_age must be seconds or a number with s, m, h or d (e.g. 10m), got "${cacheMaxAge}"`);
  }
  if (query.get('cache') === 'false' || query.get('cache') === '0') cacheMaxAge = '0';
  return { params, formats: [...new Set(formats)], cacheMaxAge };
}

/** Splits a tile's last path segment into y and an optional format (`12.png`, `12.pbf`). */
export function parseTilePath(z: string, x: string, yWithExtension: string): { tile: Tile; format: Format | null } {
  const dot = yWithExtension.indexOf('.');
  const y = dot === -1 ? yWithExtension : yWithExtension.slice(0, dot);
  const extension = dot === -1 ? null : yWithExtension.slice(dot + 1);
  const tile = parseTile(x, y, z) as Tile;
  return { tile, format: extension === null ? null : parseFormat(extension) };
}
