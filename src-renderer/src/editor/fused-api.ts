/**
 * The `fused` API the editor completes: one list of the names UDF code reaches through `fused.`,
 * by module path. test/renderer/fused-api.test.ts checks each name against the runtime's own
 * `__all__` lists, so the list cannot offer a name the runtime lacks.
 */

import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';

type Entry = [label: string, type: 'function' | 'class' | 'namespace' | 'variable' | 'property', detail: string];

const MEMBERS: Record<string, Entry[]> = {
  fused: [
    ['udf', 'function', '@fused.udf: marks the UDF function'],
    ['load', 'function', '(url_or_udf, cache_key=None) → Udf'],
    ['load_async', 'function', 'async fused.load'],
    ['run', 'function', '(udf, *, x=None, y=None, z=None, engine=None, **params)'],
    ['run_async', 'function', 'async fused.run'],
    ['submit', 'function', '(udf, arg_list, *, engine=None, max_workers=None, collect=True)'],
    ['cache', 'function', '@fused.cache(cache_max_age=None, cache_key_exclude=...)'],
    ['file_path', 'function', '(path, mkdir=True) → path on the shared disk'],
    ['download', 'function', '(url, file_path) → local path'],
    ['secrets', 'variable', "fused.secrets['NAME']: the home's secrets"],
    ['user_secrets', 'variable', 'the secrets of this user'],
    ['options', 'variable', "the SDK's options"],
    ['api', 'namespace', 'files, jobs and connections'],
    ['types', 'namespace', 'Bounds, Tile, TileGDF, ViewportGDF, ...'],
    ['context', 'namespace', 'what a UDF can ask about its run'],
    ['core', 'namespace', 'lower-level functions'],
    ['utils', 'namespace', 'public helpers of loaded UDFs'],
    ['models', 'namespace', 'the SDK models'],
    ['warnings', 'namespace', "the SDK's warning classes"],
    ['ingest', 'function', '(input, output, ...) → a geopartitioned table'],
    ['get_chunks_metadata', 'function', '(url) → chunk metadata of a table'],
    ['get_chunk_from_table', 'function', '(url, file_id, chunk_id, columns=None)'],
    ['encode_result', 'function', '(value) → EncodedResult'],
    ['Udf', 'class', 'a loaded UDF'],
    ['Header', 'class', 'a header module of a UDF'],
    ['JobPool', 'class', 'the jobs of fused.submit'],
    ['UdfRuntimeError', 'class', 'the UDF raised'],
    ['UdfLoadError', 'class', 'the UDF did not load'],
    ['UdfParameterError', 'class', 'a parameter did not convert'],
  ],
  'fused.api': [
    ['list', 'function', '(path) → file names under an s3:// or fd:// path'],
    ['get', 'function', '(path) → bytes'],
    ['download', 'function', '(path, local_path)'],
    ['upload', 'function', '(local_path_or_bytes, remote_path)'],
    ['delete', 'function', '(path)'],
    ['resolve', 'function', '(path) → a full path'],
    ['sign_url', 'function', '(path) → a signed URL'],
    ['sign_url_prefix', 'function', '(path) → signed URLs of a prefix'],
    ['whoami', 'function', '() → the account'],
    ['job_get_status', 'function', '(job) → status'],
    ['job_get_logs', 'function', '(job) → logs'],
    ['job_wait_for_job', 'function', '(job) → the finished job'],
    ['job_cancel', 'function', '(job)'],
    ['FusedAPI', 'class', "the SDK's API client"],
  ],
  'fused.options': [
    ['cache_directory', 'property', 'where @fused.cache keeps results'],
    ['cache_decorator_max_age', 'property', 'default cache age of @fused.cache'],
    ['default_udf_run_engine', 'property', "fused.run's default engine"],
    ['max_workers', 'property', "fused.submit's default parallelism"],
    ['run_timeout', 'property', 'seconds a fused.run waits'],
    ['request_timeout', 'property', 'seconds an HTTP request waits'],
    ['temp_directory', 'property', 'a scratch directory'],
    ['verbose_udf_runs', 'property', 'print what fused.run does'],
  ],
  'fused.types': [
    ['Bounds', 'class', '[west, south, east, north] of a tile or viewport'],
    ['Tile', 'class', 'a tile as a GeoDataFrame (x, y, z, geometry)'],
    ['TileGDF', 'class', 'a tile as a GeoDataFrame'],
    ['TileXYZ', 'class', 'a tile as x, y, z'],
    ['ViewportGDF', 'class', 'the viewport as a GeoDataFrame'],
    ['Bbox', 'class', 'a bounding box'],
  ],
  'fused.context': [
    ['in_realtime', 'function', '() → whether this is a realtime run'],
    ['in_batch', 'function', '() → whether this is a batch job'],
    ['this_udf', 'function', '() → the running Udf'],
    ['get_header', 'function', '(name) → a request header'],
    ['get_headers', 'function', '() → the request headers'],
    ['get_user_email', 'function', "() → the user's e-mail"],
  ],
};

/** The module paths completed after a dot (`fused`, `fused.api`, ...) and their members. */
export const FUSED_API: Readonly<Record<string, readonly Completion[]>> = Object.fromEntries(
  Object.entries(MEMBERS).map(([path, entries]) => [path, entries.map(([label, type, detail]) => ({ label, type, detail }))]),
);

const TOP_LEVEL: Completion = { label: 'fused', type: 'namespace', detail: 'the Fused API' };

/** Completes `fused.`, `fused.api.`, `fused.types.`, ... and the name `fused` itself. */
export function fusedCompletions(context: CompletionContext): CompletionResult | null {
  const dotted = context.matchBefore(/\bfused(?:\.\w+)*\.\w*$/);
  if (dotted) {
    const dot = dotted.text.lastIndexOf('.');
    const members = FUSED_API[dotted.text.slice(0, dot)];
    if (!members) return null;
    return { from: dotted.from + dot + 1, options: [...members], validFor: /^\w*$/ };
  }
  const word = context.matchBefore(/\w+$/);
  if (!word || !'fused'.startsWith(word.text) || (word.text.length < 2 && !context.explicit)) return null;
  return { from: word.from, options: [TOP_LEVEL], validFor: /^\w*$/ };
}
