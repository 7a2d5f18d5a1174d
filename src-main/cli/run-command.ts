/**
 * `udf-studio run TARGET [--param NAME=VALUE]... [--x X --y Y --z Z] [--format F] [--out FILE]`
 */

import { writeFileSync } from 'node:fs';
import { describeError } from '../../src-shared/errors.js';
import { BINARY_FORMATS, formatFromFileName, parseFormatList, type Format } from '../../src-shared/formats.js';
import { parseTile } from '../../src-shared/tiles.js';
import { Engine } from '../engine/engine.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import type { Command } from './command.js';
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
  --workspace DIR          look names up in DIR (repeatable) instead of the home's udfs/
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
      if (outcome.stdout) io.stderr.write(outcome.stdout.endsWith('\n') ? outcome.stdout : `${outcome.stdout}\n`);
      if (outcome.stderr) io.stderr.write(outcome.stderr.endsWith('\n') ? outcome.stderr : `${outcome.stderr}\n`);
      if (!outcome.ok) {
        io.stderr.write(`udf-studio: ${udf.name} failed: ${describeError(outcome.error)}\n`);
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
    } finally {
      await engine.close();
    }
  },
};

function writeAll(stream: NodeJS.WritableStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => stream.write(bytes, (error) => (error ? reject(error) : resolve())));
}
