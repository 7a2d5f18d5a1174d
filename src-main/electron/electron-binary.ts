/**
 * Where Electron's binary is, when the electron package downloaded it (it does not where Electron
 * cannot be downloaded: `npm install` skips its download script, `npm run electron:download` runs it).
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The Electron binary's path, or null with the reason it is not there. */
export function findElectronBinary(): { path: string } | { path: null; reason: string } {
  let path: unknown;
  try {
    // In plain Node the electron package's only export is the path of its binary.
    path = createRequire(import.meta.url)('electron');
  } catch (error) {
    return { path: null, reason: (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'the electron package is not installed' : 'Electron\'s binary was not downloaded' };
  }
  if (typeof path !== 'string' || !existsSync(path)) return { path: null, reason: 'Electron\'s binary was not downloaded' };
  return { path };
}
