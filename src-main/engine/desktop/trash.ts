/**
 * Moving a UDF folder to the system trash, so a delete from the window can be undone.
 *
 * Linux and other freedesktop systems: `$XDG_DATA_HOME/Trash` (files/ and a .trashinfo each);
 * macOS: `~/.Trash`. Elsewhere there is no trash we can write, and the caller must delete for good.
 */

import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';

/** Where the trash is for this platform and environment, or null where there is none we can use. */
export function trashFolder(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | null {
  const home = env.HOME ?? homedir();
  if (platform === 'darwin') return join(home, '.Trash');
  if (platform === 'win32') return null;
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'Trash');
}

/** Moves `path` into the trash; returns where it went. */
export function moveToTrash(path: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, now = new Date()): string {
  const trash = trashFolder(env, platform);
  if (!trash) throw udfError('UDF_ERR_USAGE', 'this system has no trash UDF Studio can use; delete permanently instead');
  const freedesktop = platform !== 'darwin';
  const files = freedesktop ? join(trash, 'files') : trash;
  mkdirSync(files, { recursive: true });
  let name = basename(path);
  for (let n = 2; existsSync(join(files, name)); n++) name = `${basename(path)}.${n}`;
  const target = join(files, name);
  if (freedesktop) {
    const info = join(trash, 'info');
    mkdirSync(info, { recursive: true });
    const when = now.toISOString().slice(0, 19);
    writeFileSync(join(info, `${name}.trashinfo`), `[Trash Info]\nPath=${encodeURI(path)}\nDeletionDate=${when}\n`);
  }
  try {
    renameSync(path, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    // The trash is on another disk: copy, then remove.
    cpSync(path, target, { recursive: true });
    rmSync(path, { recursive: true, force: true });
  }
  return target;
}
