/**
 * What a run asks of the engine and what it gets back. Kept apart from `engine.ts` so that the
 * parts the engine wires together (jobs, routes, remotes) can name a run without importing it.
 */

import type { ErrorData } from '../../src-shared/errors.js';
import type { Format, ResultKind } from '../../src-shared/formats.js';
import type { Tile } from '../../src-shared/tiles.js';
import type { RunContext, RunOutcome } from '../../src-shared/udf.js';
import type { UdfFolder } from './workspace/udf-folder.js';

/** A run as callers ask for it: a UDF (found by target or given), its inputs and formats. */
export interface EngineRun {
  udf: UdfFolder;
  params?: Record<string, unknown>;
  tile?: Tile | null;
  formats?: Format[];
  defaults?: Record<ResultKind, Format>;
  timeoutMs?: number;
  /** The call's cache max age (seconds, or "10m" style); 0 skips the cache. Absent: the UDF's own, else 90 days. */
  cacheMaxAge?: string | number | null;
  /** How deep the run is nested in another UDF's run (`Fused-Recursion`), proxy hops included. */
  depth?: number;
  /** Of `depth`, the levels that were engines proxying a top-level request here (`x-udf-studio-hops`). */
  hops?: number;
  /** The request the run serves (`fused.context`); not part of the cache key, as in Fused. */
  context?: RunContext;
  /**
   * Cancels the run (it then fails with UDF_ERR_CANCELLED); a run shared by identical requests
   * stops once all of them are cancelled.
   */
  signal?: AbortSignal;
  /** A configured Dask cluster's name: the run goes there instead of the worker pool (same cache). */
  cluster?: string;
}

/** `hit`: from the cache; `miss`: ran and (when allowed) stored; `off`: ran with the cache skipped. */
export type CacheStatus = 'hit' | 'miss' | 'off';

export interface EngineResult {
  outcome: RunOutcome;
  cache: CacheStatus;
  /** A strong validator of the result's bytes (for ETag), null for failures. */
  etag: string | null;
  /** Why a result that should have been cached was not (the run is answered all the same). */
  cacheError?: ErrorData;
  /** For a hit: its cache key and the call's max age (seconds), to look it up again. */
  key?: string;
  callMaxAge?: number | null;
}
