/**
 * The bundled Python runtime: where its interpreter is and whether it is healthy.
 *
 * The runtime is a venv under the home folder, filled from resources/runtime/requirements.txt, with
 * a `.pth` file that puts the app's own `fused` package and worker on its path. A stamp file records
 * which requirements it was built from, so a changed requirements file is noticed.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import { runCommand } from './command.js';
import type { ResourcePaths } from '../resources.js';
import { FUSED_PYTHON, isFusedPython, unsupportedPython } from './python-discovery.js';
import { readUserPackages, type UserPackages } from './user-packages.js';

/** Name of the file in the venv that records what it was built from. */
export const STAMP_FILE = 'udf-studio-runtime.json';
/** Name of the path file that links the app's runtime package into the venv. */
export const LINK_FILE = 'udf_studio_runtime.pth';

export interface RuntimeStamp {
  requirementsHash: string;
  devRequirementsHash: string | null;
  resources: string;
  createdAt: string;
}

/** What `udf-studio doctor` reports about the runtime. */
export interface RuntimeReport {
  runtimeDir: string;
  python: string;
  pythonVersion: string | null;
  fusedVersion: string | null;
  /** True when the runtime's Python is Fused's (3.12). */
  pythonMatchesFused: boolean;
  /** Installed versions of the packages requirements.txt pins (null when missing). */
  packages: Record<string, string | null>;
  /** Packages the user added (`udf-studio install`): the version recorded and the one installed. */
  userPackages: Record<string, { recorded: string; installed: string | null }>;
  /** Optional extras the user installed (`install --extra ai`). */
  extras: string[];
  /** Things that work but differ from Fused (another Python version): reported, not failures. */
  warnings: string[];
  problems: string[];
  ok: boolean;
}

/** The interpreter inside a runtime folder (a venv). */
export function runtimePython(runtimeDir: string): string {
  return process.platform === 'win32' ? join(runtimeDir, 'Scripts', 'python.exe') : join(runtimeDir, 'bin', 'python');
}

/** SHA-256 of a requirements file's content, or null when it does not exist. */
export function hashFile(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Reads the runtime's stamp; null when absent, unreadable or not a stamp (setup never finished). */
export function readStamp(runtimeDir: string): RuntimeStamp | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(runtimeDir, STAMP_FILE), 'utf8'));
  } catch {
    return null;
  }
  const stamp = parsed as Partial<RuntimeStamp> | null;
  const valid = typeof stamp === 'object' && stamp !== null && typeof stamp.requirementsHash === 'string' && /^[0-9a-f]{64}$/.test(stamp.requirementsHash) &&
    (stamp.devRequirementsHash === null || typeof stamp.devRequirementsHash === 'string') && typeof stamp.resources === 'string' && typeof stamp.createdAt === 'string';
  return valid ? (stamp as RuntimeStamp) : null;
}

/**
 * Refuses a runtime whose setup did not finish (no valid stamp: setup writes it last), which
 * would otherwise run UDFs that fail on missing packages. UDF_ERR_RUNTIME_NOT_READY says to repair it.
 */
export function requireFinishedSetup(runtimeDir: string): void {
  if (readStamp(runtimeDir) !== null) return;
  throw udfError('UDF_ERR_RUNTIME_NOT_READY', `the runtime at ${runtimeDir} was not set up to the end (its setup was interrupted); run "udf-studio setup" to repair it`);
}

/** The quick verdict on a runtime that the engine checks at every app start. */
export interface RuntimeHealth {
  /** `missing`: never set up; `broken`: needs repair; `outdated`: requirements.txt changed since setup. */
  state: 'ok' | 'missing' | 'broken' | 'outdated';
  problems: string[];
}

/** Prints the installed version of each package named in argv[1] (a JSON list), null when missing. */
const VERSIONS_PROBE = `
import json, sys, importlib.metadata as md
out = {}
for n in json.loads(sys.argv[1]):
    try: out[n] = md.version(n)
    except Exception: out[n] = None
print(json.dumps(out))
`;

/**
 * Checks, in well under a second, what a start needs: the venv's interpreter starts, its stamp (written
 * last by setup) is valid and matches requirements.txt, and every pinned package is installed at its
 * pinned version. Importing `fused` is left to the workers.
 */
export async function checkRuntime(runtimeDir: string, resources: ResourcePaths): Promise<RuntimeHealth> {
  const python = runtimePython(runtimeDir);
  if (!existsSync(python)) {
    return existsSync(join(runtimeDir, 'pyvenv.cfg'))
      ? { state: 'broken', problems: [`the runtime's Python is missing (${python})`] }
      : { state: 'missing', problems: [`no Python runtime at ${runtimeDir}`] };
  }
  const pins = readPins(resources.requirements);
  const probe = await runCommand(python, ['-c', VERSIONS_PROBE, JSON.stringify(Object.keys(pins))]);
  if (probe.code !== 0) {
    return { state: 'broken', problems: [`the runtime's Python does not start: ${probe.stderr.trim().split('\n').pop() || `exit status ${String(probe.code)}`}`] };
  }
  const stamp = readStamp(runtimeDir);
  if (!stamp) return { state: 'broken', problems: ['the runtime has no valid setup stamp (its setup did not finish)'] };
  if (stamp.requirementsHash !== hashFile(resources.requirements)) return { state: 'outdated', problems: ['requirements.txt changed since the runtime was built'] };
  const installed = JSON.parse(probe.stdout) as Record<string, string | null>;
  const problems = Object.entries(pins).flatMap(([name, wanted]) => {
    const have = installed[name];
    if (have === null || have === undefined) return [`package ${name} is missing (wanted ${wanted})`];
    return have === wanted ? [] : [`package ${name} is ${have}, requirements.txt pins ${wanted}`];
  });
  return { state: problems.length > 0 ? 'broken' : 'ok', problems };
}

/** Parses `name==version` pins, skipping comments and blank lines. */
export function readPins(requirementsPath: string): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const raw of readFileSync(requirementsPath, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^([A-Za-z0-9_.-]+)\s*==\s*([^\s;]+)/.exec(line);
    if (match?.[1] && match[2]) pins[match[1]] = match[2];
  }
  return pins;
}

const PROBE = `
import json, sys, importlib.metadata as md
names = json.loads(sys.argv[1])
out = {"python": sys.version.split()[0], "packages": {}, "fused": None}
for n in names:
    try: out["packages"][n] = md.version(n)
    except Exception: out["packages"][n] = None
try:
    import fused
    out["fused"] = getattr(fused, "__version__", "unknown")
except Exception as e:
    out["fusedError"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
`;

/** Checks the runtime: the interpreter runs, the pinned packages are there, `fused` imports. */
export async function inspectRuntime(runtimeDir: string, resources: ResourcePaths, userPackagesFile?: string): Promise<RuntimeReport> {
  const python = runtimePython(runtimeDir);
  const report: RuntimeReport = { runtimeDir, python, pythonVersion: null, pythonMatchesFused: false, fusedVersion: null, packages: {}, userPackages: {}, extras: [], warnings: [], problems: [], ok: false };
  let added: UserPackages = { packages: {}, extras: [] };
  try {
    if (userPackagesFile) added = readUserPackages(userPackagesFile);
  } catch (error) {
    report.problems.push((error as Error).message);
  }
  report.extras = added.extras;
  if (!existsSync(python)) {
    report.problems.push(`no Python runtime at ${runtimeDir}; run "udf-studio setup" (npm install does it)`);
    return report;
  }
  const pins = readPins(resources.requirements);
  const probe = await runCommand(python, ['-c', PROBE, JSON.stringify([...Object.keys(pins), ...Object.keys(added.packages)])]);
  if (probe.code !== 0) {
    report.problems.push(`the runtime's Python does not run (${probe.stderr.trim().split('\n').pop() ?? 'no output'}); run "udf-studio setup --repair"`);
    return report;
  }
  const found = JSON.parse(probe.stdout) as { python: string; packages: Record<string, string | null>; fused: string | null; fusedError?: string };
  report.pythonVersion = found.python;
  report.packages = Object.fromEntries(Object.keys(pins).map((name) => [name, found.packages[name] ?? null]));
  for (const [name, recorded] of Object.entries(added.packages)) {
    const installed = found.packages[name] ?? null;
    report.userPackages[name] = { recorded, installed };
    if (installed === null) report.problems.push(`package ${name}==${recorded}, which you added, is missing; run "udf-studio install ${name}==${recorded}"`);
  }
  report.fusedVersion = found.fused;
  const unsupported = unsupportedPython(found.python);
  if (unsupported) report.problems.push(`${unsupported}: run "udf-studio setup --reset" with a supported Python`);
  report.pythonMatchesFused = isFusedPython(found.python);
  if (!report.pythonMatchesFused) {
    report.warnings.push(`the runtime's Python is ${found.python}, Fused runs ${FUSED_PYTHON.join('.')}: install Python ${FUSED_PYTHON.join('.')} (or point UDF_STUDIO_PYTHON at one) and run "udf-studio setup --reset"`);
  }
  for (const [name, wanted] of Object.entries(pins)) {
    const have = found.packages[name];
    if (have === null || have === undefined) report.problems.push(`package ${name} is missing (wanted ${wanted})`);
    else if (have !== wanted) report.problems.push(`package ${name} is ${have}, requirements.txt pins ${wanted}`);
  }
  if (found.fused === null) report.problems.push(`the fused package does not import: ${found.fusedError ?? 'unknown error'}`);
  const stamp = readStamp(runtimeDir);
  if (!stamp) report.problems.push('the runtime has no setup stamp; run "udf-studio setup"');
  else if (stamp.requirementsHash !== hashFile(resources.requirements)) report.problems.push('requirements.txt changed since the runtime was built; run "udf-studio setup"');
  report.ok = report.problems.length === 0;
  return report;
}
