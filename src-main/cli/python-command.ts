/**
 * `udf-studio python [ARGS]...`: the runtime's own Python, e.g. to add a package a UDF needs.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { udfError } from '../../src-shared/errors.js';
import { homePaths } from '../engine/home.js';
import { resourcePaths } from '../engine/resources.js';
import { runtimePython } from '../engine/runtime/python-env.js';
import type { Command } from './command.js';

export const pythonCommand: Command = {
  name: 'python',
  summary: "run the runtime's Python (add packages with: udf-studio python -m pip install NAME)",
  usage: `udf-studio python [ARGS]...

Runs the bundled runtime's Python with ARGS, so that what it does matches what UDFs see.
  udf-studio python -m pip install rioxarray   add a package your UDF imports
  udf-studio python script.py                  run a script with the fused package available`,

  run(args, io) {
    const python = runtimePython(homePaths(io.env).runtime);
    if (!existsSync(python)) throw udfError('UDF_ERR_RUNTIME_MISSING', `no Python runtime at ${python}; run "udf-studio setup"`);
    return new Promise((resolve) => {
      const pythonPath = [resourcePaths(io.env).runtime, io.env.PYTHONPATH].filter(Boolean).join(delimiter);
      const child = spawn(python, args, { stdio: 'inherit', env: { ...io.env, PYTHONPATH: pythonPath } });
      child.on('error', (error) => {
        io.stderr.write(`udf-studio: could not start ${python}: ${error.message}\n`);
        resolve(1);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  },
};
