/**
 * The peers' own venv (FastAPI, uvicorn, TiTiler), filled from bench/peers/requirements.txt with pip
 * and kept in the user's cache between bench runs: it is rebuilt only when the requirements change.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../src-main/engine/runtime/command.js';

export const PEERS_DIR = fileURLToPath(new URL('../../bench/peers/', import.meta.url));
const REQUIREMENTS = join(PEERS_DIR, 'requirements.txt');

/** The venv's Python, made with `basePython` when missing or stale; throws with pip's words when it cannot be. */
export async function peerPython(basePython: string, env: NodeJS.ProcessEnv): Promise<string> {
  const requirements = readFileSync(REQUIREMENTS, 'utf8');
  const stamp = createHash('sha256').update(requirements).digest('hex').slice(0, 16);
  const venv = join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'udf-studio', 'bench-peers');
  const python = join(venv, 'bin', 'python');
  const stampFile = join(venv, 'requirements.sha256');
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return python;
  rmSync(venv, { recursive: true, force: true });
  const made = await runCommand(basePython, ['-m', 'venv', venv]);
  if (made.code !== 0) throw new Error(`could not make the peers' venv: ${made.stderr.trim()}`);
  const installed = await runCommand(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  if (installed.code !== 0) throw new Error(`could not install the peers (${REQUIREMENTS}): ${installed.stderr.trim().split('\n').slice(-3).join(' ')}`);
  writeFileSync(stampFile, stamp);
  return python;
}
