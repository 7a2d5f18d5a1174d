/**
 * Installs requirement files into the runtime: with uv when it can, else with pip.
 *
 * The runtime has about 160 pinned packages. pip downloads them one after the other and keeps them
 * in its cache only when the index says they may be cached; uv (itself a package from the index,
 * pinned in requirements-setup.txt and installed into the runtime with pip) downloads in parallel
 * and keeps every wheel in its own cache, which makes setup several times faster from an empty
 * cache and a matter of seconds from a warm one. Anything wrong with uv (no wheel for this
 * platform, a failure) falls back to pip with the same files, so uv is never a new way to fail.
 */

import { runCommand } from './command.js';

export interface InstallerOptions {
  /** requirements-setup.txt: the pinned uv. */
  setupRequirements: string;
  onLine: (line: string) => void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** pip's and uv's output lines kept for an error message. */
const ERROR_LINES = 15;

/** Installs `-r FILE` for each file into the runtime whose interpreter is `python`. */
export async function installRequirements(python: string, files: readonly string[], options: InstallerOptions): Promise<void> {
  const { onLine: say, env, signal } = options;
  const requirements = files.flatMap((file) => ['-r', file]);
  if (await ensureUv(python, options)) {
    // Bytecode now, in parallel: else the workers' first imports compile it (seconds for pandas).
    const uv = await runCommand(python, ['-m', 'uv', 'pip', 'install', '--python', python, '--compile-bytecode', ...requirements], { onLine: say, env, signal });
    if (uv.code === 0) return;
    if (signal?.aborted) throw new Error('setup was stopped');
    say(`uv could not install the packages (${lastLines(uv.stderr || uv.stdout, 3).replace(/\n/g, ' ')}); trying pip`);
  }
  const pip = await runCommand(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...requirements], { onLine: say, env, signal });
  if (pip.code !== 0) throw new Error(`pip install failed:\n${lastLines(pip.stderr || pip.stdout, ERROR_LINES)}`);
}

/** True when the runtime has uv (installing the pinned one with pip first when it has not). */
async function ensureUv(python: string, options: InstallerOptions): Promise<boolean> {
  const { onLine: say, env, signal } = options;
  if ((await runCommand(python, ['-m', 'uv', '--version'], { env, signal })).code === 0) return true;
  const pip = await runCommand(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', options.setupRequirements], { onLine: say, env, signal });
  if (pip.code === 0) return true;
  say('uv could not be installed; installing with pip instead');
  return false;
}

function lastLines(text: string, count: number): string {
  return text.trim().split(/\r?\n/).slice(-count).join('\n');
}
