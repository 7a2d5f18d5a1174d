/**
 * The engine's submit jobs: started, listed, watched, cancelled. Changes reach the event bus (for
 * the window and the CLI's progress bar) at most every {@link PUBLISH_MS} per job, and at once when
 * a job ends; clients without the event stream long-poll with {@link JobManager.waitForChange}.
 */

import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import type { JobSummary } from '../../../src-shared/jobs.js';
import type { EngineEvents } from '../events/engine-events.js';
import { Job, type JobSpec, type RunFunction } from './job.js';

export const PUBLISH_MS = 100;
/** Finished jobs kept (with their result files) for clients that come back for them. */
export const KEPT_FINISHED_JOBS = 50;
/** The most runs of one job in flight at once, and the default (Fused's realtime default). */
export const MAX_WORKERS_LIMIT = 1_024;
export const DEFAULT_MAX_WORKERS = 32;
export const DEFAULT_MAX_RETRY = 2;
export const MAX_RETRY_LIMIT = 10;

interface Watch {
  timer: NodeJS.Timeout | null;
  waiters: Set<() => void>;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly watches = new Map<string, Watch>();
  /** Each run in progress (see {@link JobManager.runEnded}) by the engine's run id: its UDF and the jobs it started. */
  private readonly byRun = new Map<string, { udf: string; jobs: Set<Job> }>();

  private readonly folder: string;

  /** `jobsRoot` holds one folder per engine process; those of engines that are gone are removed. */
  constructor(jobsRoot: string, private readonly runUdf: RunFunction, private readonly events: EngineEvents) {
    this.folder = join(jobsRoot, String(process.pid));
    removeStaleFolders(jobsRoot);
  }

  /**
   * Starts a job and returns it. `startedBy` is the id of the run whose UDF asked for it (a
   * `udf.map` inside a UDF): when that run is still in progress, the job belongs to it.
   */
  submit(spec: JobSpec, startedBy?: string): Job {
    if (spec.argList.length === 0 && !spec.finish) throw udfError('UDF_ERR_BAD_REQUEST', 'the argument list is empty: nothing to run');
    const id = `job_${randomBytes(8).toString('hex')}`;
    const job = new Job(id, spec, join(this.folder, id), this.runUdf, (changed) => this.publish(changed));
    this.jobs.set(id, job);
    this.watches.set(id, { timer: null, waiters: new Set() });
    const parent = startedBy === undefined ? undefined : this.byRun.get(startedBy);
    if (parent) {
      parent.jobs.add(job);
      job.startedBy = parent.udf;
    }
    job.start();
    this.forgetOldJobs();
    return job;
  }

  /** Every job still kept, newest first. */
  list(): JobSummary[] {
    return [...this.jobs.values()].reverse().map((job) => job.summary());
  }

  get(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw udfError('UDF_ERR_JOB_NOT_FOUND', `no job "${id}" (jobs last until the engine stops; the ${KEPT_FINISHED_JOBS} latest finished ones are kept)`);
    return job;
  }

  /** A run of the UDF `udf` has started: jobs it submits naming `runId` belong to it until it ends. */
  runStarted(runId: string, udf: string): void {
    this.byRun.set(runId, { udf, jobs: new Set() });
  }

  /**
   * A run has ended. When it failed (its UDF raised, or it was cancelled, timed out or killed),
   * the jobs it started stop too: nobody is left to collect their results, and their runs, which
   * start at once as nested runs, would keep the workers from the runs that come next. A run that
   * succeeded leaves its jobs running (a UDF may hand work off on purpose).
   */
  runEnded(runId: string, ok: boolean): void {
    const started = this.byRun.get(runId);
    this.byRun.delete(runId);
    if (!ok) for (const job of started?.jobs ?? []) job.cancel();
  }

  /** Resolves once the job has moved past `version`, or after `timeoutMs`. */
  waitForChange(id: string, version: number, timeoutMs: number): Promise<void> {
    const job = this.get(id);
    const watch = this.watches.get(id) as Watch;
    if (job.version > version || job.finishedAt) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        watch.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      watch.waiters.add(done);
    });
  }

  /** Cancels every running job (the engine is closing). */
  close(): void {
    for (const job of this.jobs.values()) job.cancel();
    for (const watch of this.watches.values()) if (watch.timer) clearTimeout(watch.timer);
  }

  private publish(job: Job): void {
    const watch = this.watches.get(job.id);
    if (!watch) return;
    if (job.finishedAt) {
      if (watch.timer) clearTimeout(watch.timer);
      watch.timer = null;
      this.announce(job, watch);
    } else if (!watch.timer) {
      watch.timer = setTimeout(() => {
        watch.timer = null;
        this.announce(job, watch);
      }, PUBLISH_MS);
    }
  }

  private announce(job: Job, watch: Watch): void {
    this.events.emit({ type: 'job', job: job.summary() });
    for (const wake of [...watch.waiters]) wake();
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((job) => job.finishedAt);
    for (const job of finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED_JOBS))) {
      this.jobs.delete(job.id);
      this.watches.delete(job.id);
      rmSync(join(this.folder, job.id), { recursive: true, force: true });
    }
  }
}

/** Removes the job folders of engine processes that no longer run (their jobs cannot be asked for). */
function removeStaleFolders(jobsRoot: string): void {
  let names: string[];
  try {
    names = readdirSync(jobsRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid || !Number.isInteger(pid) || !processAlive(pid)) rmSync(join(jobsRoot, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
