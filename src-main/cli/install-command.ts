/**
 * `udf-studio install PACKAGE... [--extra ai]`: add packages a UDF imports to the runtime.
 */

import { existsSync } from 'node:fs';
import { udfError } from '../../src-shared/errors.js';
import { homePaths } from '../engine/home.js';
import { resourcePaths } from '../engine/resources.js';
import { installPackages } from '../engine/runtime/package-install.js';
import { runtimePython } from '../engine/runtime/python-env.js';
import { EXTRAS } from '../engine/runtime/user-packages.js';
import type { Command } from './command.js';
import { parseOptions } from './options.js';

export const installCommand: Command = {
  name: 'install',
  summary: "add packages to the runtime (at Fused's version when Fused's image has them)",
  usage: `udf-studio install PACKAGE[==VERSION]... [--extra ${EXTRAS.join('|')}]

Installs packages into the runtime, each at Fused's version when Fused's image has it and no
version is given, and records them in $UDF_STUDIO_HOME/user-packages.json, so that runtime
updates, repairs and resets install them again ("udf-studio doctor" lists them). Running engines
and workers see them at their next run. The runtime's own pins never move: a package that needs
other versions of them is refused, and a failed install leaves the runtime as it was.
  --extra ai   the heavy AI stack of Fused's image (torch, transformers, segment-geospatial, ...;
               several GB)
  udf-studio install mercantile            mercantile==1.2.1, as Fused's image
  udf-studio install polyline==2.0.2       a package Fused's image does not have`,

  async run(args, io) {
    const { values, positionals } = parseOptions(args, { extra: { type: 'string', multiple: true } });
    const paths = homePaths(io.env);
    if (!existsSync(runtimePython(paths.runtime))) throw udfError('UDF_ERR_RUNTIME_MISSING', `no Python runtime at ${paths.runtime}; run "udf-studio setup"`);
    const result = await installPackages(positionals, (values.extra as string[] | undefined) ?? [], {
      runtimeDir: paths.runtime,
      resources: resourcePaths(io.env),
      userPackagesFile: paths.userPackages,
      env: io.env,
      onLine: (line) => io.stderr.write(`install: ${line}\n`),
    });
    for (const [name, version] of Object.entries(result.alreadyInRuntime)) io.stdout.write(`${name}==${version} is already part of the runtime\n`);
    for (const [name, version] of Object.entries(result.installed)) io.stdout.write(`installed ${name}==${version}\n`);
    for (const extra of result.extras) io.stdout.write(`installed the ${extra} extra\n`);
    return 0;
  },
};
