/**
 * Creates, updates and repairs the bundled Python runtime (a venv under the home folder).
 *
 * Setup is idempotent: a runtime whose stamp matches the requirements files is left alone, so
 * `npm install` and the app's first launch can both call it.
 */

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCommand } from './command.js';
import { LINK_FILE, STAMP_FILE, hashFile, readStamp, runtimePython, type RuntimeStamp } from './python-env.js';
import { FUSED_PYTHON, findBasePython } from './python-discovery.js';
import { reinstallUserPackages } from './package-install.js';
import { installRequirements } from './requirements-installer.js';
import type { ResourcePaths } from '../resources.js';

export interface SetupOptions {
  /** Also install the development tools (pytest, mypy, ruff): a source checkout wants them. */
  dev: boolean;
  /** Delete the runtime and build it again from scratch. */
  reset?: boolean;
  /** Run pip even when the stamp says the runtime is up to date (a repair after workers failed). */
  force?: boolean;
  /** Receives a line for every step and for pip's own output. */
  onProgress?: (line: string) => void;
  /** Receives each step's short name as it begins (the window's progress view). */
  onStep?: (step: string) => void;
  /** Aborting stops setup where it is; the unfinished runtime has no stamp, so the next start repairs it. */
  signal?: AbortSignal;
  /** The home's user-packages.json: what the user added is installed again after pip ran. */
  userPackagesFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SetupResult {
  python: string;
  /** False when the runtime was already up to date. */
  changed: boolean;
}

/** Brings the runtime at `runtimeDir` up to date with the requirements, creating it when needed. */
export async function setupRuntime(runtimeDir: string, resources: ResourcePaths, options: SetupOptions): Promise<SetupResult> {
  const say = options.onProgress ?? (() => {});
  const step = (name: string): void => options.onStep?.(name);
  const env = options.env ?? process.env;
  const python = runtimePython(runtimeDir);
  const wanted: RuntimeStamp = {
    requirementsHash: hashFile(resources.requirements) ?? '',
    devRequirementsHash: options.dev ? hashFile(resources.devRequirements) : null,
    resources: resources.runtime,
    createdAt: new Date().toISOString(),
  };

  step('checking the runtime');
  if (options.reset && existsSync(runtimeDir)) {
    step('removing the old runtime');
    say(`removing the runtime at ${runtimeDir}`);
    rmSync(runtimeDir, { recursive: true, force: true });
  }
  if (existsSync(python) && (await runCommand(python, ['-c', 'import sys']).then((r) => r.code)) !== 0) {
    say('the runtime is broken (its Python does not start); building it again');
    rmSync(runtimeDir, { recursive: true, force: true });
  }
  // A setup that never finished may have stopped inside `python -m venv`, before pip was in place:
  // nothing could install into that venv, so it is built again.
  if (existsSync(python) && readStamp(runtimeDir) === null && (await runCommand(python, ['-m', 'pip', '--version'], { env }).then((r) => r.code)) !== 0) {
    say('the runtime\'s setup did not finish (it has no pip); building it again');
    rmSync(runtimeDir, { recursive: true, force: true });
  }
  let created = false;
  if (!existsSync(python)) {
    step('creating the Python environment');
    const base = await findBasePython(env, options.signal);
    say(`creating the runtime with ${base.command} (Python ${base.version}) at ${runtimeDir}`);
    if (!base.matchesFused) say(`warning: Python ${base.version} is not Fused's ${FUSED_PYTHON.join('.')}; UDFs may behave differently (install Python ${FUSED_PYTHON.join('.')} or set UDF_STUDIO_PYTHON, then "udf-studio setup --reset")`);
    mkdirSync(dirname(runtimeDir), { recursive: true });
    const venv = await runCommand(base.command, ['-m', 'venv', runtimeDir], { onLine: say, env, signal: options.signal });
    if (venv.code !== 0) throw new Error(`could not create a venv at ${runtimeDir}: ${venv.stderr.trim()}`);
    created = true;
  }

  const stamp = readStamp(runtimeDir);
  const upToDate = !created && !options.force && stamp !== null && stamp.requirementsHash === wanted.requirementsHash &&
    (!options.dev || stamp.devRequirementsHash === wanted.devRequirementsHash) && stamp.resources === wanted.resources;
  if (upToDate) {
    say('the runtime is up to date');
    return { python, changed: false };
  }

  const files = [resources.requirements, ...(options.dev ? [resources.devRequirements] : [])];
  // From here the runtime is being changed: it counts as ready again only once the new stamp is
  // written, last, so an interrupted setup is never taken for a finished one.
  rmSync(join(runtimeDir, STAMP_FILE), { force: true });
  step('installing packages');
  say(`installing packages from ${files.join(' and ')}`);
  await installRequirements(python, files, { setupRequirements: resources.setupRequirements, onLine: say, env, signal: options.signal });

  if (options.userPackagesFile) {
    step('installing the packages you added');
    // A package the new pins no longer allow is reported, not fatal: the runtime itself is fine.
    const problems = await reinstallUserPackages({ runtimeDir, resources, userPackagesFile: options.userPackagesFile, onLine: say, signal: options.signal, env });
    for (const problem of problems) say(`warning: ${problem}`);
  }

  step('linking the app\'s Python package');
  await linkRuntimePackage(python, resources.runtime);
  writeFileSync(join(runtimeDir, STAMP_FILE), `${JSON.stringify(wanted, null, 2)}\n`);
  say('the runtime is ready');
  return { python, changed: true };
}

/** Puts the app's runtime sources (fused, the worker) on the venv's path with a .pth file. */
async function linkRuntimePackage(python: string, runtimeSources: string): Promise<void> {
  const found = await runCommand(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']);
  if (found.code !== 0) throw new Error(`could not find the runtime's site-packages: ${found.stderr.trim()}`);
  writeFileSync(join(found.stdout.trim(), LINK_FILE), `${runtimeSources}\n`);
}
