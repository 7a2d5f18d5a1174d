/**
 * Adds packages to the runtime (`udf-studio install`, the window's Install button), pinned to
 * Fused's version when Fused's image has the package, and remembers them in the home.
 *
 * pip runs with requirements.txt as constraints, so an added package can never move one of the
 * runtime's own pins: a package that needs another version of one fails to install instead, and
 * pip resolves (and builds) everything before it changes anything, so a failed install leaves the
 * runtime as it was. Running workers notice the new package at their next run.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import type { ResourcePaths } from '../resources.js';
import { runCommand } from './command.js';
import { readPins, runtimePython } from './python-env.js';
import { EXTRAS, normalizePackageName, parseRequirement, readUserPackages, writeUserPackages, type Requirement, type UserPackages } from './user-packages.js';

export interface InstallOptions {
  runtimeDir: string;
  resources: ResourcePaths;
  /** The home's user-packages.json. */
  userPackagesFile: string;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface InstallResult {
  /** Each requested package and the version now installed. */
  installed: Record<string, string>;
  /** Requested packages the runtime already pins (nothing to install). */
  alreadyInRuntime: Record<string, string>;
  extras: string[];
}

/** pip's output lines kept for an error message. */
const ERROR_LINES = 12;
/** One install at a time in this process: pip is not safe to run twice on one venv. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Installs `specs` (`NAME` or `NAME==VERSION`) and optional `extras` into the runtime and records
 * them in the home. A bare name gets Fused's version when Fused's image has it.
 * Throws UDF_ERR_BAD_PACKAGE for a malformed name, UDF_ERR_INSTALL_FAILED when pip fails.
 */
export async function installPackages(specs: readonly string[], extras: readonly string[], options: InstallOptions): Promise<InstallResult> {
  const requirements = specs.map(parseRequirement);
  for (const extra of extras) {
    if (!(EXTRAS as readonly string[]).includes(extra)) throw udfError('UDF_ERR_BAD_PACKAGE', `no extra "${extra}" (there is: ${EXTRAS.join(', ')})`);
  }
  if (requirements.length === 0 && extras.length === 0) throw udfError('UDF_ERR_BAD_PACKAGE', 'name at least one package (or --extra)');
  const run = queue.then(() => install(requirements, extras, options));
  queue = run.catch(() => undefined);
  return await run;
}

/**
 * Installs again what the user added (after a runtime update, repair or reset). Returns the problems,
 * one line each; an empty list when everything is back.
 */
export async function reinstallUserPackages(options: InstallOptions): Promise<string[]> {
  let recorded: UserPackages;
  try {
    recorded = readUserPackages(options.userPackagesFile);
  } catch (error) {
    return [(error as Error).message];
  }
  const specs = Object.entries(recorded.packages).map(([name, version]) => `${name}==${version}`);
  if (specs.length === 0 && recorded.extras.length === 0) return [];
  options.onLine?.(`installing the packages you added: ${[...specs, ...recorded.extras.map((e) => `extra ${e}`)].join(', ')}`);
  try {
    await installPackages(specs, recorded.extras, options);
    return [];
  } catch (error) {
    return [`the packages you added could not be installed again: ${(error as Error).message}`];
  }
}

/** Fused's image as `name → version` (null for a package Fused installs from git). */
export function readFusedImage(path: string): Map<string, string | null> {
  const image = new Map<string, string | null>();
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+))?$/.exec(line);
    if (match?.[1]) image.set(normalizePackageName(match[1]), match[2] ?? null);
  }
  return image;
}

async function install(requirements: Requirement[], extras: readonly string[], options: InstallOptions): Promise<InstallResult> {
  const python = runtimePython(options.runtimeDir);
  const say = options.onLine ?? (() => {});
  const image = readFusedImage(options.resources.fusedImage);
  const pins = new Map(Object.entries(readPins(options.resources.requirements)).map(([name, version]) => [normalizePackageName(name), version]));
  const alreadyInRuntime: Record<string, string> = {};
  const wanted: string[] = [];
  for (const requirement of requirements) {
    const pinned = pins.get(requirement.name);
    if (pinned !== undefined) {
      if (requirement.version !== null && requirement.version !== pinned) {
        throw udfError('UDF_ERR_INSTALL_FAILED', `${requirement.name} is part of the runtime, pinned at ${pinned}; it cannot be installed at ${requirement.version}`);
      }
      alreadyInRuntime[requirement.name] = pinned;
      continue;
    }
    const version = requirement.version ?? image.get(requirement.name) ?? null;
    if (requirement.version === null && version !== null) say(`${requirement.name}: Fused's image has ${version}; installing that`);
    wanted.push(version === null ? requirement.name : `${requirement.name}==${version}`);
  }
  const extraFiles = extras.flatMap((extra) => ['-r', join(options.resources.runtime, `requirements-${extra}.txt`)]);
  if (wanted.length > 0 || extraFiles.length > 0) {
    say(`pip install ${[...wanted, ...extras.map((e) => `(extra ${e})`)].join(' ')}`);
    const pip = await runCommand(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-c', options.resources.requirements, ...wanted, ...extraFiles],
      { onLine: say, env: options.env, signal: options.signal });
    if (pip.code !== 0) throw udfError('UDF_ERR_INSTALL_FAILED', explainPipFailure(pip.code, `${pip.stdout}\n${pip.stderr}`));
  }
  const names = requirements.map((r) => r.name).filter((name) => !(name in alreadyInRuntime));
  const installed = await installedVersions(python, names, options.env);
  const recorded = readUserPackages(options.userPackagesFile);
  for (const [name, version] of Object.entries(installed)) recorded.packages[name] = version;
  recorded.extras = [...recorded.extras, ...extras];
  writeUserPackages(options.userPackagesFile, recorded);
  return { installed, alreadyInRuntime, extras: [...extras] };
}

/** The versions pip installed, read back from the runtime. */
async function installedVersions(python: string, names: string[], env: NodeJS.ProcessEnv | undefined): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const probe = await runCommand(python, ['-c', 'import json, sys, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in json.loads(sys.argv[1])}))', JSON.stringify(names)], { env });
  if (probe.code !== 0) throw udfError('UDF_ERR_INSTALL_FAILED', `pip finished but the packages are not there: ${probe.stderr.trim().split('\n').pop() ?? ''}`);
  return JSON.parse(probe.stdout) as Record<string, string>;
}

/** pip's failure in a sentence where it is a common one, else its last lines. */
function explainPipFailure(code: number | null, output: string): string {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() && !/^WARNING: Location .* is ignored/.test(line));
  const noMatch = /No matching distribution found for (\S+)/.exec(output);
  const conflict = /conflict is caused by|ResolutionImpossible|Cannot install .* because these package versions have conflicting dependencies/.test(output);
  const reason = code === null ? 'pip did not start' :
    noMatch ? `the package index has no ${noMatch[1]} for this runtime's Python (a misspelt name, or no release for this Python)` :
    conflict ? "it needs other versions of packages the runtime pins, which an added package may not change" :
    'pip failed';
  return `${reason}; the runtime is as it was.\n${lines.slice(-ERROR_LINES).join('\n')}`;
}
