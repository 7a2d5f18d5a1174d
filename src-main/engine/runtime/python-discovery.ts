/**
 * Finds the Python that creates the runtime: Fused's 3.12 when the machine has one.
 *
 * Fused runs every UDF on Python 3.12, and the runtime's pins (Fused's versions) are chosen for it,
 * so 3.12 is looked for first wherever it usually is: `python3.12` on PATH (only if it actually
 * runs: pyenv's shim for a version that is not selected exits with an error), pyenv's versions
 * folder (`pyenv root`, $PYENV_ROOT, ~/.pyenv), then the usual install prefixes. Without a 3.12, the
 * newest supported Python found is used. `UDF_STUDIO_PYTHON` always wins, within the same range.
 *
 * The range is where the pins have wheels (`requires-python` in resources/runtime/pyproject.toml
 * says the same, and a test keeps the two equal): Fused's numpy 2.4.6 and contourpy 1.3.3 need
 * Python 3.11, fiona 1.10.1 has no wheel past 3.13.
 */

import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './command.js';

/** The Python version of Fused's realtime image. */
export const FUSED_PYTHON: readonly [number, number] = [3, 12];
/** Oldest Python the runtime supports. */
export const MIN_PYTHON: readonly [number, number] = [3, 11];
/** Newest Python the runtime supports. */
export const MAX_PYTHON: readonly [number, number] = [3, 13];
/** A candidate that does not answer in this time is skipped (a hung shim, a network mount). */
const PROBE_TIMEOUT_MS = 10_000;

export interface BasePython {
  /** The command or path that runs it. */
  command: string;
  /** `major.minor.micro`. */
  version: string;
  /** True when it is Fused's version (3.12). */
  matchesFused: boolean;
}

/** `3.12.1` → [3, 12]. */
export function minorVersion(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return [major, minor];
}

/** `3.11 to 3.13`. */
export function supportedRange(): string {
  return `${MIN_PYTHON.join('.')} to ${MAX_PYTHON.join('.')}`;
}

/** Why the runtime cannot be built on Python `version`, or null when it can. */
export function unsupportedPython(version: string): string | null {
  const [major, minor] = minorVersion(version);
  const below = major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]);
  const above = major > MAX_PYTHON[0] || (major === MAX_PYTHON[0] && minor > MAX_PYTHON[1]);
  if (!below && !above) return null;
  return `Python ${version} is ${below ? 'older' : 'newer'} than the runtime's pinned packages support (${supportedRange()})`;
}

/** True when `version` is Fused's Python (3.12.x). */
export function isFusedPython(version: string): boolean {
  const [major, minor] = minorVersion(version);
  return major === FUSED_PYTHON[0] && minor === FUSED_PYTHON[1];
}

/**
 * The Python to build the runtime with: `UDF_STUDIO_PYTHON`, else a 3.12, else the newest supported.
 * Throws with every candidate tried and why it was not used.
 */
export async function findBasePython(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<BasePython> {
  const tried: string[] = [];
  if (env.UDF_STUDIO_PYTHON) {
    const chosen = await probe(env.UDF_STUDIO_PYTHON, env, signal, tried);
    if (chosen) return chosen;
    throw new Error(`no usable Python found (${tried.join('; ')}): UDF_STUDIO_PYTHON names one that does not work; fix it or unset it`);
  }
  for (const command of await fusedPythonCandidates(env, signal)) {
    const found = await probe(command, env, signal, tried);
    if (found?.matchesFused) return found;
  }
  let best: BasePython | null = null;
  for (const command of await fallbackCandidates(env, signal)) {
    const found = await probe(command, env, signal, tried);
    if (found && (!best || compareVersions(found.version, best.version) > 0)) best = found;
  }
  if (best) return best;
  throw new Error(`no usable Python found (${tried.join('; ')}); install Python ${FUSED_PYTHON.join('.')} (or ${supportedRange()}) or set UDF_STUDIO_PYTHON`);
}

/** Where a 3.12 usually is, most likely first. */
async function fusedPythonCandidates(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string[]> {
  const name = `python${FUSED_PYTHON.join('.')}`;
  const pyenv = await pyenvVersions(env, signal);
  return unique([
    name,
    ...pyenv.filter((entry) => isFusedPython(entry.version)).map((entry) => entry.python),
    ...['/usr/local/bin', '/usr/bin', '/opt/homebrew/bin', join(env.HOME ?? homedir(), '.local', 'bin')].map((dir) => join(dir, name)).filter(existsSync),
  ]);
}

/** Every other Python 3 worth a look, when there is no 3.12. */
async function fallbackCandidates(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string[]> {
  const named: string[] = [];
  for (let minor = MAX_PYTHON[1]; minor >= MIN_PYTHON[1]; minor -= 1) named.push(`python3.${minor}`);
  const pyenv = (await pyenvVersions(env, signal)).map((entry) => entry.python);
  return unique([...named, ...pyenv, 'python3', 'python']);
}

interface PyenvVersion {
  version: string;
  python: string;
}

/** The interpreters in pyenv's versions folder (CPython `X.Y.Z` folders only), newest first. */
async function pyenvVersions(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<PyenvVersion[]> {
  const roots = [env.PYENV_ROOT, join(env.HOME ?? homedir(), '.pyenv')];
  const asked = await runCommand('pyenv', ['root'], { env, signal });
  if (asked.code === 0 && asked.stdout.trim()) roots.unshift(asked.stdout.trim());
  const found: PyenvVersion[] = [];
  for (const root of unique(roots.filter((r): r is string => Boolean(r)))) {
    const versions = join(root, 'versions');
    if (!existsSync(versions)) continue;
    for (const version of readdirSync(versions)) {
      const python = join(versions, version, 'bin', 'python3');
      if (/^\d+\.\d+\.\d+$/.test(version) && existsSync(python)) found.push({ version, python });
    }
  }
  return found.sort((a, b) => compareVersions(b.version, a.version));
}

/** Runs a candidate; null (and a line in `tried`) when it does not run, lacks venv or is too old. */
async function probe(command: string, env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, tried: string[]): Promise<BasePython | null> {
  const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const result = await runCommand(command, ['-c', 'import sys, venv; print("%d.%d.%d" % sys.version_info[:3])'], { env, signal: both });
  if (result.code !== 0) {
    tried.push(`${command}: ${result.code === null ? 'not found' : 'does not run or has no venv module'}`);
    return null;
  }
  const version = result.stdout.trim();
  const unsupported = unsupportedPython(version);
  if (unsupported) {
    tried.push(`${command}: ${unsupported}`);
    return null;
  }
  return { command, version, matchesFused: isFusedPython(version) };
}

function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
