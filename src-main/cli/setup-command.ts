/**
 * `udf-studio setup [--dev] [--reset]`: create or repair the Python runtime.
 */

import { homePaths } from '../engine/home.js';
import { resourcePaths } from '../engine/resources.js';
import { setupRuntime } from '../engine/runtime/runtime-setup.js';
import { EXIT_FAILURE, UsageError } from './cli-error.js';
import type { Command } from './command.js';
import { parseOptions } from './options.js';

export const setupCommand: Command = {
  name: 'setup',
  summary: 'create, update or repair the bundled Python runtime',
  usage: `udf-studio setup [--dev] [--reset]

Creates the runtime (a Python venv) under $UDF_STUDIO_RUNTIME or ~/.udf-studio/runtime from
resources/runtime/requirements.txt, or brings it up to date. Nothing happens when it already is.
  --dev     also install the test tools (pytest, mypy, ruff)
  --reset   delete the runtime and build it again
Packages added with "udf-studio install" are installed again. The runtime uses Python 3.12, as
Fused's image, when the machine has one (python3.12 on PATH, pyenv's versions, the usual prefixes),
else the newest of 3.11 to 3.13; $UDF_STUDIO_PYTHON chooses another. Needs the Python package index.`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, { dev: { type: 'boolean' }, reset: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`setup takes no arguments, got ${positionals.join(' ')}`);
    const paths = homePaths(io.env);
    try {
      const result = await setupRuntime(paths.runtime, resourcePaths(io.env), {
        dev: values.dev === true,
        reset: values.reset === true,
        env: io.env,
        userPackagesFile: paths.userPackages,
        onProgress: (line) => io.stderr.write(`setup: ${line}\n`),
      });
      io.stdout.write(`runtime ${result.changed ? 'ready' : 'already up to date'}: ${result.python}\n`);
      return 0;
    } catch (error) {
      io.stderr.write(`udf-studio: setup failed: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
  },
};
