import { describe, expect, it } from 'vitest';
import type { JobRun, JobSummary } from '../../src-shared/jobs.js';
import { jobProgress, resultFileName } from '../../src-renderer/src/lib/job-progress.js';

function job(status: JobSummary['status'], counts: Partial<JobSummary['counts']>, total: number): JobSummary {
  return {
    id: '0123456789abcdef', udf: 'Hello_World', status, total, createdAt: '2026-01-01T00:00:00Z', finishedAt: null,
    counts: { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, ...counts },
  };
}

describe('jobProgress', () => {
  it('a job whose runs all succeeded is 100% done', () => {
    const progress = jobProgress(job('succeeded', { succeeded: 6 }, 6));
    expect(progress.percent).toBe(100);
    expect(progress.text).toBe('6 of 6 done');
    expect(progress.bar).toEqual({ ok: 1, failed: 0, cancelled: 0 });
  });

  it('cancelled runs are not counted as done', () => {
    const progress = jobProgress(job('cancelled', { succeeded: 3, failed: 1, cancelled: 16 }, 20));
    expect(progress.done).toBe(4);
    expect(progress.percent).toBe(20);
    expect(progress.text).toBe('4 of 20 done · 1 failed · 16 cancelled');
    expect(progress.bar.cancelled).toBeCloseTo(0.8);
  });

  it('a running job says what is running and waiting, and never rounds up to 100%', () => {
    const progress = jobProgress(job('running', { succeeded: 199, running: 1 }, 200));
    expect(progress.percent).toBe(99);
    expect(progress.text).toBe('199 of 200 done · 1 running');
    expect(jobProgress(job('running', { running: 2, pending: 4 }, 6)).text).toBe('0 of 6 done · 2 running · 4 waiting');
  });

  it('a job of no runs is 0%, not a division by zero', () => {
    const progress = jobProgress(job('succeeded', {}, 0));
    expect(progress.percent).toBe(0);
    expect(progress.bar).toEqual({ ok: 0, failed: 0, cancelled: 0 });
  });
});

describe('resultFileName', () => {
  const run = (format: JobRun['format']): JobRun => ({ index: 2, args: {}, status: 'succeeded', attempts: 1, durationMs: 5, cache: 'miss', format, error: null });
  it('names the file by UDF, job and run, with the format extension', () => {
    expect(resultFileName(job('succeeded', {}, 3), run('parquet'))).toBe('Hello_World-01234567-run2.parquet');
    expect(resultFileName(job('succeeded', {}, 3), run('excel'))).toBe('Hello_World-01234567-run2.xlsx');
    expect(resultFileName(job('succeeded', {}, 3), run(null))).toBe('Hello_World-01234567-run2.bin');
  });
});
