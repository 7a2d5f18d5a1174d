/**
 * A job's progress on stderr: one line redrawn in place on a terminal, a start and an end line
 * elsewhere (logs, CI), so a thousand fast runs never flood the output.
 */

import type { JobSummary } from '../../src-shared/jobs.js';

const WIDTH = 30;
const MIN_INTERVAL_MS = 100;

export function progressText(job: JobSummary): string {
  const done = job.counts.succeeded + job.counts.failed + job.counts.cancelled;
  const filled = job.total === 0 ? WIDTH : Math.round((WIDTH * done) / job.total);
  let text = `${job.udf} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${job.total} done`;
  if (job.counts.failed) text += `, ${job.counts.failed} failed`;
  if (job.counts.cancelled) text += `, ${job.counts.cancelled} cancelled`;
  if (job.counts.running) text += `, ${job.counts.running} running`;
  return text;
}

export class ProgressBar {
  private lastDraw = 0;
  private shown = '';

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }, job: JobSummary) {
    if (!stream.isTTY) stream.write(`${job.udf}: ${job.total} runs\n`);
  }

  update(job: JobSummary): void {
    const now = Date.now();
    if (!this.stream.isTTY || now - this.lastDraw < MIN_INTERVAL_MS) return;
    this.draw(job, now);
  }

  finish(job: JobSummary): void {
    if (this.stream.isTTY) {
      this.draw(job, Date.now());
      this.stream.write('\n');
    } else {
      this.stream.write(`${progressText(job)}\n`);
    }
  }

  private draw(job: JobSummary, now: number): void {
    const text = progressText(job);
    this.lastDraw = now;
    if (text === this.shown) return;
    this.shown = text;
    this.stream.write(`\r${text}\x1b[K`);
  }
}
