/**
 * How far a submit job got, as the Jobs view says it: only runs that ran to an end (succeeded or
 * failed) count as done; cancelled runs are counted apart, so a cancelled job never reads "100%".
 */

import { EXTENSIONS } from '../../../src-shared/formats.js';
import type { JobRun, JobSummary } from '../../../src-shared/jobs.js';

export interface JobProgress {
  /** Runs that succeeded or failed. */
  done: number;
  /** Whole percent of the runs that are done (0 for a job of no runs). */
  percent: number;
  /** Shares of the bar, 0..1: succeeded, failed, cancelled. */
  bar: { ok: number; failed: number; cancelled: number };
  /** One line under the bar. */
  text: string;
}

export function jobProgress(job: JobSummary): JobProgress {
  const { succeeded, failed, cancelled, running, pending } = job.counts;
  const total = Math.max(0, job.total);
  const done = succeeded + failed;
  const share = (count: number): number => (total === 0 ? 0 : count / total);
  const parts = [`${done} of ${total} done`];
  if (running > 0) parts.push(`${running} running`);
  if (pending > 0 && job.status === 'running') parts.push(`${pending} waiting`);
  if (failed > 0) parts.push(`${failed} failed`);
  if (cancelled > 0) parts.push(`${cancelled} cancelled`);
  return {
    done,
    percent: total === 0 ? 0 : Math.floor((done / total) * 100),
    bar: { ok: share(succeeded), failed: share(failed), cancelled: share(cancelled) },
    text: parts.join(' · '),
  };
}

/** The file name a run's result downloads as: `<udf>-<job id>-<run>.<ext>`. */
export function resultFileName(job: JobSummary, run: JobRun): string {
  const extension = run.format ? EXTENSIONS[run.format] : 'bin';
  return `${job.udf}-${job.id.slice(0, 8)}-run${run.index}.${extension}`;
}
