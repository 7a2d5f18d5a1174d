/**
 * Fused's batch jobs, run as local submit jobs. `fused.run(udf, instance_type="medium")`,
 * `udf(engine="large")` and `fused.submit(udf, args, instance_type=..., collect=False)` send the
 * UDF as a job config (`POST /server/v1/run`, FusedAPI.start_job); the client then reads the job as
 * a RunResponse, its logs as `[{message, timestamp}]` and its results as one file per run.
 *
 * Every run happens on this machine through the engine's job manager, so the job shows in the
 * window's Jobs view; the instance type, region, disk size and environment the client asks for
 * have no meaning here (the instance type is kept, to be shown back).
 */

import { udfError } from '../../../src-shared/errors.js';
import { EXTENSIONS } from '../../../src-shared/formats.js';
import type { JobStatus } from '../../../src-shared/jobs.js';
import type { Engine } from '../engine.js';
import type { Job, JobSpec } from './job.js';
import { DEFAULT_MAX_WORKERS, MAX_WORKERS_LIMIT } from './job-manager.js';
import { jobSpecFromBody } from './job-request.js';

/** The formats the official client asks its realtime runs for; batch results come the same way. */
export const CLIENT_FORMATS = 'npy,tiff,parquet,json';
const INSTANCE_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_NAME_LENGTH = 200;
/** Characters of one run's output that its log lines keep. */
const LOG_TEXT_LIMIT = 20_000;
const RESULT_FILE = /^(\d{1,9})\.([a-z]{1,10})(\.metadata)?$/;

/** The hosted API's view of a job (the client's RunResponse model). */
export interface RunResponseBody {
  job_id: string;
  job_name: string;
  instance_id: string | null;
  instance_type: string | null;
  /**
   * The instance's state: `running`, then `terminated`, as an ended cloud instance is (the public
   * `common.get_jobs_status` helper waits for `terminated`).
   */
  status: string;
  terminal_status: boolean;
  last_heartbeat: string;
  /** `Running`, then `Done`, `Failed` or `Canceled`, the values the client checks. */
  job_status: string;
  job_status_date: string;
  finished_job_status: boolean;
  total_tasks: number;
  finished_tasks: number;
}

export interface LogLine {
  message: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

const JOB_STATUS: Record<JobStatus, string> = { running: 'Running', succeeded: 'Done', failed: 'Failed', cancelled: 'Canceled' };

/**
 * Reads a start_job body (`{"config": {"name", "steps": [{"type": "udf", "udf", "input",
 * "n_processes"}]}, "cache_max_age"?}`) into a job: one run per item of `input` (each an object of
 * parameters, or a value for the UDF's first one), or one run when there is no input. Runs are
 * not retried, as `fused.run` does not retry by default.
 */
export async function batchJobSpec(engine: Engine, body: Record<string, unknown>, instanceType: string | null, depth: number): Promise<JobSpec> {
  if (instanceType !== null && !INSTANCE_TYPE.test(instanceType)) throw udfError('UDF_ERR_BAD_REQUEST', `instance_type must be a name such as "medium" or "m5.large", got "${instanceType.slice(0, 80)}"`);
  const config = objectOf(body.config, '"config" must be the job config: {"name", "steps": [{"type": "udf", "udf": {...}}]}');
  const steps = config.steps;
  if (!Array.isArray(steps) || steps.length !== 1) throw udfError('UDF_ERR_BAD_REQUEST', '"config.steps" must hold exactly one step (the UDF to run)');
  const step = objectOf(steps[0], '"config.steps[0]" must be an object');
  if (step.type !== 'udf') {
    throw udfError('UDF_ERR_BAD_REQUEST', `UDF Studio runs batch jobs of one UDF; a "${String(step.type).slice(0, 40)}" step (ingestion, partitioning) is not run from this client: run fused.ingest(...).run_batch() in UDF Studio's Python (npx udf-studio python), which writes the table here as a job, or write a UDF that reads and writes the files and run it with fused.submit`);
  }
  const input = step.input ?? null;
  if (input !== null && !Array.isArray(input)) throw udfError('UDF_ERR_BAD_REQUEST', '"input" must be a list of argument sets, or null to run once');
  const name = config.name ?? null;
  if (name !== null && (typeof name !== 'string' || name.length > MAX_NAME_LENGTH)) throw udfError('UDF_ERR_BAD_REQUEST', `"config.name" must be a string of at most ${MAX_NAME_LENGTH} characters`);
  const cacheMaxAge = body.cache_max_age ?? null;
  if (cacheMaxAge !== null && !(typeof cacheMaxAge === 'number' && Number.isInteger(cacheMaxAge) && cacheMaxAge >= 0)) throw udfError('UDF_ERR_BAD_REQUEST', '"cache_max_age" must be whole seconds');
  const processes = step.n_processes ?? null;
  if (processes !== null && !(typeof processes === 'number' && Number.isInteger(processes) && processes >= 1 && processes <= MAX_WORKERS_LIMIT)) {
    throw udfError('UDF_ERR_BAD_REQUEST', `"n_processes" must be a whole number from 1 to ${MAX_WORKERS_LIMIT}`);
  }
  const spec = await jobSpecFromBody(engine, {
    udf: step.udf,
    argList: input ?? [{}],
    maxWorkers: processes ?? DEFAULT_MAX_WORKERS,
    maxRetry: 0,
    format: CLIENT_FORMATS,
    cacheMaxAge,
  }, depth);
  // Its runs are batch work to the UDF (`fused.context.in_batch()`), as on Fused's batch machines.
  return { ...spec, base: { ...spec.base, context: { headers: {}, batch: true } }, batch: { name: name ?? spec.base.udf.name, instanceType } };
}

/** The job as the hosted API reports a batch job. */
export function runResponse(job: Job): RunResponseBody {
  const summary = job.summary();
  const finished = summary.finishedAt !== null;
  const statusDate = summary.finishedAt ?? summary.createdAt;
  return {
    job_id: job.id,
    job_name: job.batch?.name ?? job.udfName,
    instance_id: null,
    instance_type: job.batch?.instanceType ?? null,
    status: finished ? 'terminated' : 'running',
    terminal_status: finished,
    last_heartbeat: finished ? statusDate : new Date().toISOString(),
    job_status: JOB_STATUS[summary.status],
    job_status_date: statusDate,
    finished_job_status: finished,
    total_tasks: summary.total,
    finished_tasks: summary.total - summary.counts.pending - summary.counts.running,
  };
}

/**
 * The job's log: a line when it started, each ended run's output and error (prefixed with the
 * run's number when there are several), a line when it ended; only lines after `sinceMs`.
 */
export function jobLogs(job: Job, sinceMs: number | null): LogLine[] {
  const summary = job.summary();
  const where = job.batch?.instanceType ? ` (instance type "${job.batch.instanceType}" is not used locally)` : '';
  const lines: LogLine[] = [{ message: `Job ${job.id} started: ${summary.total} run(s) of ${summary.udf} on this machine${where}`, timestamp: Date.parse(summary.createdAt) }];
  const runs = job.endedRuns().sort((a, b) => a.endedAt - b.endedAt);
  for (const run of runs) {
    const prefix = summary.total > 1 ? `[run ${run.index}] ` : '';
    const output = [run.stdout, run.stderr].map((text) => (text.length > LOG_TEXT_LIMIT ? `${text.slice(0, LOG_TEXT_LIMIT)}… (${text.length - LOG_TEXT_LIMIT} more characters)` : text));
    for (const text of output) {
      for (const line of text.split('\n')) if (line.trim()) lines.push({ message: prefix + line, timestamp: run.endedAt });
    }
    if (run.error) {
      const { exceptionClass, code, message, line } = run.error;
      lines.push({ message: `${prefix}${exceptionClass ?? code}: ${message}${line ? ` (line ${line})` : ''}`, timestamp: run.endedAt });
    } else if (run.status === 'cancelled') {
      lines.push({ message: `${prefix}cancelled`, timestamp: run.endedAt });
    }
  }
  if (summary.finishedAt) {
    const { succeeded, failed, cancelled } = summary.counts;
    lines.push({ message: `Job ${job.id} ${JOB_STATUS[summary.status]}: ${succeeded} succeeded, ${failed} failed, ${cancelled} cancelled`, timestamp: Date.parse(summary.finishedAt) });
  }
  return sinceMs === null ? lines : lines.filter((line) => line.timestamp > sinceMs);
}

/**
 * The names of the ended runs' result files, in run order: `{index}.{extension}` (the result, or
 * `{index}.error` for a run that failed) and `{index}.{extension}.metadata` (its metadata, as
 * `x-fused-metadata` carries it).
 */
export function resultFiles(job: Job): string[] {
  return job.endedRuns().flatMap(({ index, status, format }) => {
    const file = status === 'succeeded' && format ? `${index}.${EXTENSIONS[format]}` : `${index}.error`;
    return [file, `${file}.metadata`];
  });
}

/** A result file's run index and whether it is the metadata; null for a name no job has. */
export function parseResultFile(name: string): { index: number; metadata: boolean } | null {
  const match = RESULT_FILE.exec(name);
  if (!match) return null;
  return { index: Number(match[1]), metadata: match[3] !== undefined };
}

function objectOf(value: unknown, message: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw udfError('UDF_ERR_BAD_REQUEST', message);
  return value as Record<string, unknown>;
}
