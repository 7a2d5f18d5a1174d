/**
 * Which QGIS opens layer files: `UDF_STUDIO_QGIS` when set (a program; empty: never open one),
 * else `qgis` on PATH (Debian's, the official Linux packages, OSGeo4W's shell), else on macOS the
 * app bundles of the official installers.
 */

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { launch } from '../desktop/open-external.js';

/** Where the official macOS installers put QGIS (the latest release, the long-term one). */
const MACOS_APPS = ['/Applications/QGIS.app', '/Applications/QGIS-LTR.app'];

export function qgisProgram(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, macosApps: readonly string[] = MACOS_APPS): string | null {
  const chosen = env.UDF_STUDIO_QGIS;
  if (chosen !== undefined) return chosen.trim() === '' ? null : chosen;
  const names = platform === 'win32' ? ['qgis.bat', 'qgis-bin.exe', 'qgis.exe'] : ['qgis'];
  const candidates = (env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => names.map((name) => join(dir, name)));
  if (platform === 'darwin') candidates.push(...macosApps.map((app) => join(app, 'Contents', 'MacOS', 'QGIS')));
  return candidates.find(isExecutable) ?? null;
}

/** Starts QGIS with the layer file, detached from the engine, when there is one; says why not otherwise. */
export async function openInQgis(file: string, env: NodeJS.ProcessEnv): Promise<{ opened: boolean; notOpened: string | null }> {
  const program = qgisProgram(env);
  if (!program) {
    return { opened: false, notOpened: env.UDF_STUDIO_QGIS === undefined ? 'QGIS is not installed here (no qgis program on PATH)' : 'UDF_STUDIO_QGIS is empty, so layer files are not opened' };
  }
  try {
    await launch([program, file], env);
    return { opened: true, notOpened: null };
  } catch (error) {
    return { opened: false, notOpened: (error as Error).message };
  }
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
