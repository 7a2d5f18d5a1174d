/**
 * Following a started job to its end, for `udf-studio submit` and `udf-studio export`: a progress
 * bar on stderr fed by long-polls, and Ctrl-C cancels the job (the loop then sees it end).
 */

import type { JobSummary } from '../../src-shared/jobs.js';
import type { CliIo } from './command.js';
import { ProgressBar } from './progress-bar.js';

/** A job as a long-poll answers it: what it is now and the version that state has. */
export type Progress = JobSummary & { version: number };

/** What following needs of a client: the next state of the job, and a way to cancel it. */
export interface JobPolling<J extends Progress> {
  /** The job once it has moved past `version`, or after a second without news. */
  next(id: string, version: number): Promise<J>;
  cancel(id: string): Promise<void>;
}

/**
 * Polls `first` until it is no longer running, drawing the bar, and returns its last state.
 * `cancelling` is told the user when Ctrl-C cancels the job.
 */
export async function followJob<J extends Progress>(client: JobPolling<J>, first: J, io: CliIo, cancelling: string): Promise<J> {
  let job = first;
  const cancel = (): void => {
    io.stderr.write(`\n${cancelling}\n`);
    void client.cancel(job.id);
  };
  // Set before the bar's first line: whoever has seen that line can already cancel.
  process.once('SIGINT', cancel);
  const bar = new ProgressBar(io.stderr, job);
  try {
    while (job.status === 'running') {
      job = await client.next(job.id, job.version);
      bar.update(job);
    }
  } finally {
    process.removeListener('SIGINT', cancel);
  }
  bar.finish(job);
  return job;
}
