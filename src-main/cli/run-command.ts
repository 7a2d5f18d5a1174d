/**
 * `udf-studio run TARGET [--param NAME=VALUE]... [--x X --y Y --z Z] [--format F] [--out FILE]`
 */

import { writeFileSync } from 'node:fs';
import { describeError, UdfStudioError } from '../../src-shared/errors.js';
import { BINARY_FORMATS, formatFromFileName, parseFormatList, type Format } from '../../src-shared/formats.js';
import { parseTile, type Tile } from '../../src-shared/tiles.js';
import type { RunOutcome } from '../../src-shared/udf.js';
import { Engine } from '../engine/engine.js';
import type { CacheStatus } from '../engine/engine-run.js';
import { homePaths } from '../engine/home.js';
import { RemoteClient } from '../engine/remote/remote-client.js';
import { RemoteStore } from '../engine/remote/remote-config.js';
import { runOnRemote } from '../engine/remote/remote-runs.js';
import { resourcePaths } from '../engine/resources.js';
import type { UdfFolder } from '../engine/workspace/udf-folder.js';
import { seedWorkspace, Workspace } from '../engine/workspace/workspace.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import type { CliIo, Command } from './command.js';
import { keyValueOptions, parseOptions, positiveNumberOption, stringOption } from './options.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a UDF once and write its output to a file or stdout',
  usage: `udf-studio run TARGET [--param NAME=VALUE]... [--x X --y Y --z Z] [--format F] [--out FILE]

TARGET is a UDF folder, a .py file, or the name of a UDF in the workspace.
  -p, --param NAME=VALUE   a UDF parameter (repeat for more); converted by the UDF's annotations
  --x X --y Y --z Z        run in tile mode for tile z/x/y (all three together)
  -f, --format F           output format, or a preference list such as png,parquet
                           (default: from --out's extension, else csv for tables, geojson for
                           GeoDataFrames, png for arrays, json, html or text as fits)
  -o, --out FILE           write the output to FILE instead of stdout
  --timeout SECONDS        time limit of the run (default 120)
  --no-cache               run even when the result cache holds this result (and do not store it)
  --workspace DIR          look names up in DIR (repeatable) instead of the workspace folders
                           of settings.json (else the home's udfs/)
  --remote R               run on the remote engine R (see "udf-studio remote"): a local UDF goes
                           as code, a shared token (fsh_...) or another name runs the remote's UDF
  -v, --verbose            also print the worker's own log
Exit status: 0 on success, 1 when the UDF fails (its error and line go to stderr), 2 on a usage error.`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      param: { type: 'string', short: 'p', multiple: true },
      x: { type: 'string' }, y: { type: 'string' }, z: { type: 'string' },
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      timeout: { type: 'string' },
      workspace: { type: 'string', multiple: true },
      'no-cache': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      remote: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs a TARGET (a UDF folder, a .py file or a UDF name)' : `run takes one TARGET, got ${positionals.length}: ${positionals.join(' ')}`);
    const params = keyValueOptions(values, 'param');
    const tile = parseTile(stringOption(values, 'x'), stringOption(values, 'y'), stringOption(values, 'z'));
    const out = stringOption(values, 'out');
    const formatText = stringOption(values, 'format');
    const formats: Format[] = formatText ? parseFormatList(formatText) : [];
    if (!formatText && out) {
      const fromName = formatFromFileName(out);
      if (fromName) formats.push(fromName);
    }
    const timeoutSeconds = positiveNumberOption(values, 'timeout');
    const workspaces = values.workspace as string[] | undefined;

    const remoteName = stringOption(values, 'remote');
    if (remoteName !== undefined) {
      if (timeoutSeconds) throw new UsageError('--timeout applies to local runs; a remote engine keeps its own time limit');
      const { outcome, name } = await runRemotely(io.env, remoteName, positionals[0] as string, workspaces, { params, tile, formats, cacheMaxAge: values['no-cache'] ? 0 : null });
      return writeOutcome(io, name, outcome, 'miss', out);
    }

    const engine = await Engine.open({
      env: io.env,
      poolSize: 1,
      preload: [],
      ...(workspaces ? { workspaces } : {}),
      ...(values.verbose ? { log: (line: string) => io.stderr.write(`[worker] ${line}\n`) } : {}),
    });
    try {
      const udf = engine.workspace.resolve(positionals[0] as string);
      const { outcome, cache } = await engine.run({
        udf, params, tile, formats,
        ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
        ...(values['no-cache'] ? { cacheMaxAge: 0 } : {}),
      });
      return await writeOutcome(io, udf.name, outcome, cache, out);
    } finally {
      await engine.close();
    }
  },
};

/**
 * Runs TARGET on a remote: a local UDF (folder, file or workspace name) as a code run, a shared
 * token as a token run, any other name as the remote's saved UDF.
 */
async function runRemotely(
  env: NodeJS.ProcessEnv, remoteName: string, target: string, workspaces: string[] | undefined,
  run: { params: Record<string, string>; tile: Tile | null; formats: Format[]; cacheMaxAge: number | null },
): Promise<{ outcome: RunOutcome; name: string }> {
  const paths = homePaths(env);
  const client = new RemoteClient(new RemoteStore(paths.remotes).get(remoteName));
  const request = { params: run.params, tile: run.tile, cacheMaxAge: run.cacheMaxAge, formats: run.formats.length ? run.formats : REMOTE_READABLE_FORMATS };
  if (target.startsWith('fsh_')) return { outcome: await runOnRemote(client, { ...request, target: { kind: 'token', token: target } }), name: `${target.slice(0, 10)}…` };
  let local: UdfFolder | null = null;
  try {
    if (!workspaces) seedWorkspace(paths.udfs, resourcePaths(env).exampleUdfs);
    local = new Workspace(workspaces ?? [paths.udfs]).resolve(target);
  } catch (error) {
    if (!(error instanceof UdfStudioError) || error.code !== 'UDF_ERR_NOT_FOUND' || target.startsWith('.') || target.startsWith('/')) throw error;
  }
  if (local) return { outcome: await runOnRemote(client, { ...request, target: { kind: 'code', udf: local.source } }), name: local.name };
  return { outcome: await runOnRemote(client, { ...request, target: { kind: 'saved', name: target } }), name: target };
}

/** Writes a run's output (or its error) the way `run` always has; resolves with the exit status. */
async function writeOutcome(io: CliIo, name: string, outcome: RunOutcome, cache: CacheStatus, out: string | undefined): Promise<number> {
  if (outcome.stdout) io.stderr.write(outcome.stdout.endsWith('\n') ? outcome.stdout : `${outcome.stdout}\n`);
  if (outcome.stderr) io.stderr.write(outcome.stderr.endsWith('\n') ? outcome.stderr : `${outcome.stderr}\n`);
  if (!outcome.ok) {
    io.stderr.write(`udf-studio: ${name} failed: ${describeError(outcome.error)}\n`);
    if (outcome.error.traceback) io.stderr.write(`${outcome.error.traceback.trimEnd()}\n`);
    return EXIT_FAILURE;
  }
  if (out) {
    writeFileSync(out, outcome.body);
    const timing = cache === 'hit' ? 'from the cache' : `${outcome.durationMs.toFixed(1)} ms`;
    io.stderr.write(`wrote ${outcome.body.byteLength} bytes of ${outcome.format} to ${out} (${timing})\n`);
  } else if (io.stdout.isTTY && BINARY_FORMATS.has(outcome.format)) {
    io.stderr.write(`udf-studio: the result is ${outcome.format} (${outcome.body.byteLength} bytes), which a terminal cannot show; use --out FILE, pipe it, or pick a text format with --format\n`);
    return EXIT_FAILURE;
  } else {
    await writeAll(io.stdout, outcome.body);
    if (io.stdout.isTTY && outcome.body.byteLength > 0 && outcome.body[outcome.body.byteLength - 1] !== 0x0a) io.stdout.write('\n');
  }
  return 0;
}

/** A remote picks the first of these that fits, as a terminal user would want to read it. */
const REMOTE_READABLE_FORMATS: Format[] = ['geojson', 'csv', 'json', 'text', 'html', 'png', 'bytes'];

function writeAll(stream: NodeJS.WritableStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => stream.write(bytes, (error) => (error ? reject(error) : resolve())));
}
