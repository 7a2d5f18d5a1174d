/**
 * A venv with the independent archive readers the export tests use (the `pmtiles` package from
 * PyPI, pinned in test/engine/export/readers-requirements.txt), kept in the user's cache and made
 * again only when the requirements change, as the bench's peers are.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src-main/engine/runtime/command.js';

const REQUIREMENTS = fileURLToPath(new URL('../engine/export/readers-requirements.txt', import.meta.url));
export const READ_ARCHIVE = fileURLToPath(new URL('../engine/export/read_archive.py', import.meta.url));

/** The readers' Python, made with python3 when missing or stale; throws with pip's words when it cannot be. */
export async function readerPython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const requirements = readFileSync(REQUIREMENTS, 'utf8');
  const stamp = createHash('sha256').update(requirements).digest('hex').slice(0, 16);
  const venv = join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'udf-studio', 'export-readers');
  const python = join(venv, 'bin', 'python');
  const stampFile = join(venv, 'requirements.sha256');
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return python;
  rmSync(venv, { recursive: true, force: true });
  const made = await runCommand('python3', ['-m', 'venv', venv]);
  if (made.code !== 0) throw new Error(`could not make the readers' venv: ${made.stderr.trim()}`);
  const installed = await runCommand(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  if (installed.code !== 0) throw new Error(`could not install the readers (${REQUIREMENTS}): ${installed.stderr.trim().split('\n').slice(-3).join(' ')}`);
  writeFileSync(stampFile, stamp);
  return python;
}

export interface ReadBack {
  header?: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** `z/x/y` → SHA-256 of the tile's bytes as served (unzipped). */
  tiles: Record<string, string>;
}

/** Reads an archive back with the independent readers. */
export async function readArchive(path: string): Promise<ReadBack> {
  const result = await runCommand(await readerPython(), [READ_ARCHIVE, path]);
  if (result.code !== 0) throw new Error(`read_archive.py failed on ${path}: ${result.stderr}`);
  return JSON.parse(result.stdout) as ReadBack;
}
