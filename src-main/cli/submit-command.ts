/**
 * `udf-studio submit TARGET --args FILE [...]`: one UDF run over many arguments, with a progress
 * bar, on the running engine (or an engine in this process when none runs).
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../src-shared/errors.js';
import { EXTENSIONS, parseFormatList } from '../../src-shared/formats.js';
import { Engine } from '../engine/engine.js';
import { homePaths } from '../engine/home.js';
import type { UdfFolder } from '../engine/workspace/udf-folder.js';
import { Workspace } from '../engine/workspace/workspace.js';
import { parseArgList } from './arg-list-file.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import type { CliIo, Command } from './command.js';
import { followJob } from './follow-job.js';
import { HttpJobClient, LocalJobClient, type Detail, type JobClient } from './job-client.js';
import { keyValueOptions, parseOptions, stringOption } from './options.js';
import { findRunningEngine } from './running-engine.js';

/** Failures listed in full at the end; the rest are counted. */
const SHOWN_FAILURES = 10;

export const submitCommand: Command = {
  name: 'submit',
  summary: 'run a UDF over many arguments in parallel, with a progress bar',
  usage: `udf-studio submit TARGET --args FILE [--param NAME=VALUE]... [--out DIR] [options]

TARGET is a UDF folder, a .py file, or the name of a UDF in the workspace.
  -a, --args FILE          the argument list: a JSON array of values (each goes to the UDF's first
                           parameter) or of objects of parameters, or a CSV file whose header names
                           the parameters; "-" reads JSON from stdin
  -p, --param NAME=VALUE   a parameter every run gets (repeat for more)
  -o, --out DIR            write each run's result to DIR/<index>.<ext>
  -f, --format F           result format, or a preference list such as parquet,json
  --max-workers N          runs in flight at once (default 32)
  --max-retry N            attempts after a failure the UDF raised (default 2)
  --no-cache               run everything, even results the cache holds
  -e, --engine NAME        run on the Dask cluster NAME (udf-studio cluster add); the results still
                           go to this machine's cache, so a repeated submit is answered here
  --workspace DIR          look names up in DIR (repeatable) instead of the workspace folders
                           of settings.json (else the home's udfs/)
It runs on the engine "udf-studio serve" started (its workers, its cache, and the window's Jobs
view), else on an engine started for this command. stdout gets one JSON line per run (index,
args, status, durationMs, cache, error, and the Dask worker on a cluster). Ctrl-C cancels the job.
Exit status: 0 when every run succeeded, 1 when any failed, 2 on a usage error.`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      args: { type: 'string', short: 'a' },
      param: { type: 'string', short: 'p', multiple: true },
      out: { type: 'string', short: 'o' },
      format: { type: 'string', short: 'f' },
      'max-workers': { type: 'string' },
      'max-retry': { type: 'string' },
      'no-cache': { type: 'boolean' },
      engine: { type: 'string', short: 'e' },
      workspace: { type: 'string', multiple: true },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'submit needs a TARGET (a UDF folder, a .py file or a UDF name)' : `submit takes one TARGET, got ${positionals.length}: ${positionals.join(' ')}`);
    const argsFile = stringOption(values, 'args');
    if (!argsFile) throw new UsageError('submit needs --args FILE (a JSON array or a CSV file of arguments)');
    const argList = parseArgList(readArgs(argsFile), argsFile === '-' ? 'stdin' : argsFile);
    const format = stringOption(values, 'format');
    if (format) parseFormatList(format);
    const workspaces = values.workspace as string[] | undefined;
    const paths = homePaths(io.env);
    const running = await findRunningEngine(paths);
    const engine = running ? null : await Engine.open({ env: io.env, preload: [], ...(workspaces ? { workspaces } : {}) });
    try {
      const workspace = engine?.workspace ?? new Workspace(workspaces?.length ? workspaces : [paths.udfs]);
      const client: JobClient = running ? new HttpJobClient(running) : new LocalJobClient(engine as Engine);
      return await follow(client, jobBody(workspace.resolve(positionals[0] as string), argList, values, format), io, stringOption(values, 'out'));
    } finally {
      await engine?.close();
    }
  },
};

function jobBody(udf: UdfFolder, argList: unknown[], values: Record<string, string | boolean | string[] | undefined>, format: string | undefined): Record<string, unknown> {
  return {
    udf: { name: udf.name, code: udf.source.code, entrypoint: udf.source.entrypoint, metadata: udf.source.metadata,
      headers: udf.source.headers.map((header) => ({ module_name: header.moduleName, source_code: header.code })) },
    argList,
    params: keyValueOptions(values, 'param'),
    maxWorkers: wholeOption(values, 'max-workers', 1),
    maxRetry: wholeOption(values, 'max-retry', 0),
    ...(format ? { format } : {}),
    ...(values['no-cache'] ? { cache: false } : {}),
    ...(typeof values.engine === 'string' ? { cluster: values.engine } : {}),
  };
}

async function follow(client: JobClient, body: Record<string, unknown>, io: CliIo, out: string | undefined): Promise<number> {
  const started = await client.start(body);
  io.stderr.write(`submitted ${started.total} runs of ${started.udf} to ${client.where}${started.cluster ? `, on the Dask cluster ${started.cluster}` : ''}\n`);
  const job = await followJob(client, started, io, 'cancelling the job...');
  if (out) await writeResults(client, job, out, io);
  for (const run of job.runs) {
    const where = run.worker ? { worker: run.worker } : {};
    io.stdout.write(`${JSON.stringify({ index: run.index, args: run.args, status: run.status, durationMs: run.durationMs, cache: run.cache, error: run.error?.message ?? null, ...where })}\n`);
  }
  const failed = job.runs.filter((run) => run.status === 'failed');
  for (const run of failed.slice(0, SHOWN_FAILURES)) {
    io.stderr.write(`run ${run.index} ${JSON.stringify(run.args)} failed: ${run.error ? describeError(run.error) : 'no error given'}\n`);
  }
  if (failed.length > SHOWN_FAILURES) io.stderr.write(`... and ${failed.length - SHOWN_FAILURES} more failed runs\n`);
  return job.status === 'succeeded' ? 0 : EXIT_FAILURE;
}

async function writeResults(client: JobClient, job: Detail, dir: string, io: CliIo): Promise<void> {
  mkdirSync(dir, { recursive: true });
  let written = 0;
  for (const run of job.runs) {
    if (run.status !== 'succeeded' || !run.format) continue;
    writeFileSync(join(dir, `${run.index}.${EXTENSIONS[run.format]}`), await client.result(job.id, run.index));
    written += 1;
  }
  io.stderr.write(`wrote ${written} results to ${dir}\n`);
}

function readArgs(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the argument list ${file}: ${(error as Error).message}`);
  }
}

function wholeOption(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} needs a whole number of at least ${min}, got "${text}"`);
  return Number(text);
}
