/**
 * What a UDF is, as the engine, the CLI, the server and the window see it.
 */

import type { ErrorData } from './errors.js';
import type { Format, ResultKind } from './formats.js';
import type { Tile } from './tiles.js';

/** Names that are safe as a folder, a Python file and a URL segment. */
export const UDF_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

/** Values of `fused:udfType` in meta.json. */
export const UDF_TYPES = ['auto', 'vector_tile', 'vector_single', 'vector_single_none', 'raster', 'app'] as const;
export type UdfType = (typeof UDF_TYPES)[number];

/** A header module: a helper file the UDF imports by name (`import utils`). */
export interface UdfHeader {
  moduleName: string;
  /** Absolute path of the file, or null for a header given inline. */
  path: string | null;
  code: string;
}

/** Everything a worker needs to run a UDF; `key` changes exactly when the code does. */
export interface UdfSource {
  key: string;
  name: string;
  path: string | null;
  dir: string | null;
  code: string;
  entrypoint: string | null;
  headers: UdfHeader[];
  metadata: Record<string, unknown>;
}

/** A parameter as the runtime reads it from the UDF's signature. */
export interface UdfParameter {
  name: string;
  annotation: string | null;
  default: unknown;
  required: boolean;
}

/** What the runtime learns by loading a UDF's code (the worker's `describe`). */
export interface UdfDescription {
  entrypoint: string;
  takesKwargs: boolean;
  tileParam: string | null;
  parameters: UdfParameter[];
  cacheMaxAge: string | number | null;
}

/** One run: a UDF, its parameters, an optional tile and the formats the caller accepts. */
export interface RunRequest {
  udf: UdfSource;
  /** Strings are converted by the UDF's annotations; other JSON values pass as they are. */
  params: Record<string, unknown>;
  tile: Tile | null;
  /** Preference list; empty means the defaults below. */
  formats: Format[];
  defaults: Record<ResultKind, Format>;
  /** Time limit in milliseconds; the pool's default when absent. */
  timeoutMs?: number;
  /** How deep this run is nested in runs of other UDFs (`Fused-Recursion`); 0 when absent. */
  depth?: number;
  /**
   * How many of those levels are engines that proxied a top-level request here (no run of theirs
   * waits on this one); 0 when absent. A run is nested (starts at once) when `depth` is more.
   */
  hops?: number;
  /** What `fused.context` tells the UDF about the request it serves; absent: no request's. */
  context?: RunContext;
  /** The engine's id for this run, which the UDF's calls back to the engine name (`PARENT_RUN_HEADER`). */
  runId?: string;
}

/** The request a run serves, as the UDF sees it through `fused.context`. */
export interface RunContext {
  /** The HTTP request's headers (names in lower case), without credentials. */
  headers: Record<string, string>;
  /** Part of one of Fused's batch jobs (`fused.context.in_batch()`). */
  batch?: boolean;
}

/** What the UDF printed and how long it took; present on success and failure alike. */
export interface RunLog {
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunSuccess extends RunLog {
  ok: true;
  format: Format;
  contentType: string;
  kind: ResultKind;
  /** True when the result holds nothing: None, or a frame with no rows (a tile shows nothing). */
  empty: boolean;
  /** The UDF's own `@fused.udf(cache_max_age=...)`, when it sets one. */
  cacheMaxAge: string | number | null;
  body: Uint8Array;
}

export interface RunFailure extends RunLog {
  ok: false;
  error: ErrorData;
}

export type RunOutcome = RunSuccess | RunFailure;
