/**
 * One submit job: a UDF run once per argument set, at most `maxWorkers` at a time, each run
 * retried with back-off when it failed in a way that may pass, and cancellable as a whole.
 *
 * Results go to files under the job's folder as they arrive, so a job of any size holds only
 * small records in memory.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RETRYABLE_CODES, UdfStudioError, type ErrorCode, type ErrorData } from '../../../src-shared/errors.js';
import type { Format } from '../../../src-shared/formats.js';
import type { JobDetail, JobRun, JobRunStatus, JobStatus, JobSummary } from '../../../src-shared/jobs.js';
import type { Tile } from '../../../src-shared/tiles.js';
import type { RunSuccess } from '../../../src-shared/udf.js';
import type { EngineResult, EngineRun } from '../engine-run.js';

/** Failures worth another attempt: the rule the runtime's jobs share (src-shared/errors.ts). */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(RETRYABLE_CODES);
/** Failures that end a cluster job's pending runs too: each of them would only wait and fail the same way. */
const ENDS_THE_JOB: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UDF_ERR_CLUSTER_LOST', 'UDF_ERR_CLUSTER_UNREACHABLE']);
/** The first retry waits this long; each further one twice as long. */
export const RETRY_BASE_MS = 200;

export interface JobSpec {
  /** The run every item shares: UDF, formats, cache setting, depth. */
  base: Omit<EngineRun, 'params' | 'signal'>;
  argList: Record<string, unknown>[];
  /** Parameters every run gets (an item's own values win). */
  params?: Record<string, unknown>;
  maxWorkers: number;
  maxRetry: number;
  /** Set for a job started as one of Fused's batch jobs (`POST /server/v1/run`). */
  batch?: BatchInfo;
  /** Each run's own tile (an export's runs), in the order of `argList`; else every run gets `base.tile`. */
  tiles?: readonly Tile[];
  /** Where results go; by default files in the job's folder. */
  results?: ResultStore;
  /**
   * Runs once every run has ended, before the job counts as finished: an export writes its
   * archive (or, cancelled, keeps what it has). A throw fails the job with the error.
   */
  finish?: (job: Job, cancelled: boolean) => Promise<void>;
  /** More the job's summary reports (an export's state). */
  report?: () => Pick<JobSummary, 'export'>;
}

/** Where a job keeps its runs' results. */
export interface ResultStore {
  /** Keeps a succeeded run's result; the error that fails the run instead when it cannot. */
  keep(index: number, outcome: RunSuccess): ErrorData | null;
  /** A kept result's bytes. */
  read(index: number): Uint8Array;
}

/** What a batch job's client named it and the instance type it asked for (no meaning locally). */
export interface BatchInfo {
  name: string;
  instanceType: string | null;
}

/** A finished run's result, without its bytes (those are in the job's folder). */
type StoredResult = Omit<RunSuccess, 'body'> & { etag: string | null; cache: EngineResult['cache'] };

interface RunState extends JobRun {
  controller: AbortController | null;
  stdout: string;
  stderr: string;
  result: StoredResult | null;
  /** When the run reached its final status (ms since the epoch). */
  endedAt: number | null;
}

/** A run that has ended, as a log tells it. */
export interface EndedRun {
  index: number;
  status: JobRunStatus;
  endedAt: number;
  /** The result's format when the run succeeded. */
  format: Format | null;
  stdout: string;
  stderr: string;
  error: ErrorData | null;
}

export type RunFunction = (run: EngineRun) => Promise<EngineResult>;

export class Job {
  readonly createdAt = new Date();
  finishedAt: Date | null = null;
  /** Grows with every change; long-polling clients wait for it to pass what they saw. */
  version = 0;
  private readonly runs: RunState[];
  private next = 0;
  private running = 0;
  private cancelled = false;
  private readonly retries = new Map<RunState, NodeJS.Timeout>();
  /** The UDF whose run started this job (see JobManager.runEnded), when one did. */
  startedBy: string | null = null;
  private readonly results: ResultStore;
  private finishing = false;
  private finishError: ErrorData | null = null;

  constructor(
    readonly id: string,
    private readonly spec: JobSpec,
    folder: string,
    private readonly runUdf: RunFunction,
    private readonly onChange: (job: Job) => void,
  ) {
    this.results = spec.results ?? new FolderResults(folder);
    this.runs = spec.argList.map((args, index) => ({
      index, args, status: 'pending', attempts: 0, durationMs: null, cache: null, format: null, error: null,
      controller: null, stdout: '', stderr: '', result: null, endedAt: null, ...(spec.tiles?.[index] ? { tile: spec.tiles[index] } : {}),
    }));
  }

  get udfName(): string {
    return this.spec.base.udf.name;
  }

  get batch(): BatchInfo | null {
    return this.spec.batch ?? null;
  }

  /** Starts runs up to the job's concurrency; call once after creating the job. */
  start(): void {
    this.fill();
    this.changed();
  }

  /** Stops the job: pending runs are dropped, running ones cancelled in their workers (not its finishing step). */
  cancel(): void {
    if (this.cancelled || this.finishedAt || this.finishing) return;
    this.cancelled = true;
    for (const [run, timer] of this.retries) {
      clearTimeout(timer);
      this.running -= 1;
      this.end(run, 'cancelled');
    }
    this.retries.clear();
    for (const run of this.runs) {
      if (run.status === 'pending') this.end(run, 'cancelled');
      else if (run.status === 'running') run.controller?.abort();
    }
    this.finishIfDone();
    this.changed();
  }

  summary(): JobSummary {
    const counts: Record<JobRunStatus, number> = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const run of this.runs) counts[run.status] += 1;
    const cluster = this.spec.base.cluster;
    return {
      id: this.id, udf: this.udfName, status: this.status(counts), ...(cluster ? { cluster } : {}), ...(this.startedBy ? { startedBy: this.startedBy } : {}), total: this.runs.length, counts,
      createdAt: this.createdAt.toISOString(), finishedAt: this.finishedAt?.toISOString() ?? null, ...this.spec.report?.(),
    };
  }

  detail(): JobDetail & { version: number } {
    return {
      ...this.summary(),
      version: this.version,
      runs: this.runs.map(({ index, args, status, attempts, durationMs, cache, format, error, worker, tile }) => ({ index, args, status, attempts, durationMs, cache, format, error, ...(worker ? { worker } : {}), ...(tile ? { tile } : {}) })),
    };
  }

  /**
   * A run's result once it has ended: its bytes, or its failure (a run cancelled before it
   * started fails with UDF_ERR_CANCELLED); null while it is pending or running.
   */
  result(index: number): EngineResult | null {
    const run = this.runs[index];
    if (!run) throw new RangeError(`the job has runs 0 to ${this.runs.length - 1}`);
    if (run.status === 'pending' || run.status === 'running') return null;
    if (run.status === 'succeeded' && run.result) {
      const { etag, cache, ...meta } = run.result;
      return { outcome: { ...meta, body: this.results.read(index) }, cache, etag };
    }
    const error = run.error ?? { code: 'UDF_ERR_CANCELLED', message: 'the run was cancelled before it started' };
    return { outcome: { ok: false, error, stdout: run.stdout, stderr: run.stderr, durationMs: run.durationMs ?? 0 }, cache: 'off', etag: null };
  }

  /** The runs that have ended, in the order of the argument list. */
  endedRuns(): EndedRun[] {
    return this.runs.flatMap(({ index, status, endedAt, format, stdout, stderr, error }) => (endedAt === null ? [] : [{ index, status, endedAt, format, stdout, stderr, error }]));
  }

  private status(counts: Record<JobRunStatus, number>): JobStatus {
    if (!this.finishedAt) return 'running';
    if (this.cancelled) return 'cancelled';
    return counts.failed > 0 || this.finishError ? 'failed' : 'succeeded';
  }

  private fill(): void {
    while (!this.cancelled && this.running < this.spec.maxWorkers && this.next < this.runs.length) {
      this.attempt(this.runs[this.next++] as RunState);
    }
    this.finishIfDone();
  }

  private attempt(run: RunState): void {
    run.status = 'running';
    run.attempts += 1;
    run.controller = new AbortController();
    this.running += 1;
    const params = { ...this.spec.params, ...run.args };
    this.runUdf({ ...this.spec.base, ...(run.tile ? { tile: run.tile } : {}), params, signal: run.controller.signal }).then(
      (result) => this.settle(run, result),
      // A run that throws instead of failing (the engine closing, no worker able to start) keeps its code.
      (error: unknown) => this.settle(run, null, error instanceof UdfStudioError ? error.data : { code: 'UDF_ERR_WORKER_CRASHED', message: (error as Error).message }),
    );
  }

  private settle(run: RunState, result: EngineResult | null, thrown?: ErrorData): void {
    this.running -= 1;
    run.controller = null;
    const outcome = result?.outcome;
    if (outcome) {
      const worker = (outcome as { worker?: unknown }).worker;
      if (typeof worker === 'string') run.worker = worker;
      run.durationMs = outcome.durationMs;
      run.stdout = outcome.stdout;
      run.stderr = outcome.stderr;
    }
    // A result that cannot be kept (disk full) fails its run; it must never throw out of settle().
    const unkept = outcome?.ok ? this.results.keep(run.index, outcome) : null;
    if (outcome?.ok && result && !unkept) {
      const { body: _kept, ...meta } = outcome;
      run.result = { ...meta, etag: result.etag, cache: result.cache };
      run.cache = result.cache;
      run.format = outcome.format;
      run.error = null;
      this.end(run, 'succeeded');
    } else {
      const error = unkept ?? (outcome && !outcome.ok ? outcome.error : (thrown as ErrorData));
      run.error = error;
      if (this.cancelled || error.code === 'UDF_ERR_CANCELLED') {
        this.end(run, 'cancelled');
      } else if (RETRYABLE.has(error.code) && run.attempts <= this.spec.maxRetry) {
        this.retryLater(run);
        this.changed();
        return;
      } else {
        this.end(run, 'failed');
        if (ENDS_THE_JOB.has(error.code)) this.failPending(error);
      }
    }
    this.fill();
    this.changed();
  }

  private failPending(error: ErrorData): void {
    for (const pending of this.runs.slice(this.next)) {
      pending.error = error;
      this.end(pending, 'failed');
    }
    this.next = this.runs.length;
  }

  /** Runs a failed run again after the back-off; it keeps its place in the job's concurrency. */
  private retryLater(run: RunState): void {
    run.status = 'running';
    this.running += 1;
    const timer = setTimeout(() => {
      this.retries.delete(run);
      this.running -= 1;
      this.attempt(run);
    }, RETRY_BASE_MS * 2 ** (run.attempts - 1));
    this.retries.set(run, timer);
  }

  private end(run: RunState, status: 'succeeded' | 'failed' | 'cancelled'): void {
    run.status = status;
    run.endedAt = Date.now();
  }

  private finishIfDone(): void {
    if (this.finishedAt || this.finishing || this.running > 0) return;
    if (this.next < this.runs.length && !this.cancelled) return;
    if (this.runs.some((run) => run.status === 'running')) return;
    const finish = this.spec.finish;
    if (!finish) {
      this.finishedAt = new Date();
      return;
    }
    this.finishing = true;
    finish(this, this.cancelled).catch((error: unknown) => {
      this.finishError = error instanceof UdfStudioError ? error.data : { code: 'UDF_ERR_DISK_WRITE', message: (error as Error).message };
    }).finally(() => {
      this.finishedAt = new Date();
      this.changed();
    });
  }

  private changed(): void {
    this.version += 1;
    this.onChange(this);
  }
}

/** Results as files in the job's folder, one per run. */
class FolderResults implements ResultStore {
  constructor(private readonly folder: string) {
    mkdirSync(folder, { recursive: true });
  }

  keep(index: number, outcome: RunSuccess): ErrorData | null {
    try {
      writeFileSync(join(this.folder, String(index)), outcome.body);
      return null;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { code: 'UDF_ERR_DISK_WRITE', message: `the job could not keep run ${index}'s result in ${this.folder} (${typeof code === 'string' ? code : (error as Error).message}): is the disk full?` };
    }
  }

  read(index: number): Uint8Array {
    return readFileSync(join(this.folder, String(index)));
  }
}
