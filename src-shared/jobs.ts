/**
 * Submit jobs (`fused.submit`, `udf.map`, `udf-studio submit`) as the engine reports them to the
 * CLI, Python clients and the window.
 */

import type { ErrorData } from './errors.js';
import type { ExportState } from './exports.js';
import type { Format } from './formats.js';
import type { Tile } from './tiles.js';

export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobRunStatus = (typeof RUN_STATUSES)[number];

/** A job as a whole: `running` until every run has ended, then how it ended. */
export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobSummary {
  id: string;
  /** The UDF's name. */
  udf: string;
  status: JobStatus;
  /** The Dask cluster the runs go to; absent for this engine's workers. */
  cluster?: string;
  /** The UDF whose run started the job (its `udf.map`), which ends it if it fails; absent otherwise. */
  startedBy?: string;
  total: number;
  counts: Record<JobRunStatus, number>;
  /** ISO 8601 times. */
  createdAt: string;
  finishedAt: string | null;
  /** Set for an export job: the archive it writes and how far it got. */
  export?: ExportState;
}

/** One run of a job: its arguments, how it went, and where its result is. */
export interface JobRun {
  index: number;
  args: Record<string, unknown>;
  status: JobRunStatus;
  attempts: number;
  durationMs: number | null;
  cache: 'hit' | 'miss' | 'off' | null;
  /** The result's format once the run has succeeded. */
  format: Format | null;
  error: ErrorData | null;
  /** The Dask worker the run last ran on (cluster jobs only). */
  worker?: string;
  /** The tile the run made (export jobs only). */
  tile?: Tile;
}

export interface JobDetail extends JobSummary {
  runs: JobRun[];
}
