/**
 * Query names the server reads itself on run URLs; every other name is a UDF parameter. The
 * official client sends `profile` and `fused_cache_disable_stream` with every run: options of the
 * hosted API (profiling, streaming from its cache) that have no local effect.
 */
export const RESERVED_QUERY: ReadonlySet<string> = new Set([
  'format', 'dtype_out_vector', 'dtype_out_raster', 'cache_max_age', 'cache', 'profile', 'fused_cache_disable_stream',
]);
