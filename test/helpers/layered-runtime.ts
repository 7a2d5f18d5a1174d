/**
 * A throw-away runtime layered on the real one, for tests that install packages.
 *
 * The real runtime (the developer's or CI's) must never change under a test. This venv has no
 * packages of its own: a path file makes the real runtime's site-packages (pip included) visible
 * behind its own, so its Python sees every runtime package, and pip installs into the layer.
 */

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../src-main/engine/runtime/command.js';
import { runtimePython, STAMP_FILE } from '../../src-main/engine/runtime/python-env.js';
import { RUNTIME_DIR } from './test-home.js';

export interface LayeredRuntime {
  dir: string;
  python: string;
  /** The layer's own site-packages, where installs land. */
  sitePackages: string;
  remove(): void;
}

const PURELIB = 'import sysconfig; print(sysconfig.get_paths()["purelib"])';

export async function makeLayeredRuntime(): Promise<LayeredRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'udf-studio-layer-'));
  const created = await runCommand(runtimePython(RUNTIME_DIR), ['-m', 'venv', '--without-pip', dir]);
  if (created.code !== 0) throw new Error(`could not create a venv: ${created.stderr}`);
  const base = (await runCommand(runtimePython(RUNTIME_DIR), ['-c', PURELIB])).stdout.trim();
  const python = runtimePython(dir);
  const sitePackages = (await runCommand(python, ['-c', PURELIB])).stdout.trim();
  // addsitedir (not a bare path) so the runtime's own path files (the app's package) apply too.
  writeFileSync(join(sitePackages, '_udf_studio_test_base.pth'), `import site; site.addsitedir(${JSON.stringify(base)})\n`);
  // A finished runtime, as the real one is: an engine refuses a venv whose setup did not end.
  copyFileSync(join(RUNTIME_DIR, STAMP_FILE), join(dir, STAMP_FILE));
  return { dir, python, sitePackages, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
