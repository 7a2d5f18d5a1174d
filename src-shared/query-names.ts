import { udfError } from './errors.js';

/**
 * Query names the server reads itself on run URLs; every other name is a UDF parameter. The
 * official client sends `profile` and `fused_cache_disable_stream` with every run: options of the
 * hosted API (profiling, streaming from its cache) that have no local effect.
 */
export const RESERVED_QUERY: ReadonlySet<string> = new Set([
  'format', 'dtype_out_vector', 'dtype_out_raster', 'cache_max_age', 'cache', 'profile', 'fused_cache_disable_stream',
]);

/** `params` must map names to strings (converted by the UDF's annotations, as query values are). */
export function stringParams(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw udfError('UDF_ERR_BAD_REQUEST', '"params" must be an object of parameter names to values');
  // No prototype, so a parameter named `__proto__` is kept as one.
  const params = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', `parameter "${name}" must be given as a string (it is converted by the UDF's annotation)`);
    params[name] = value;
  }
  return params;
}
