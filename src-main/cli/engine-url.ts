/**
 * The URL to tell a user about: the running engine's (engine.json), else the one the next
 * `udf-studio serve` listens on (the settings' port, else the default).
 */

import { readFileSync } from 'node:fs';
import type { HomePaths } from '../engine/home.js';
import { DEFAULT_PORT } from '../engine/server/default-address.js';
import { SettingsStore } from '../engine/settings.js';

export function expectedEngineUrl(paths: Pick<HomePaths, 'engineInfo' | 'settings'>): string {
  try {
    const info = JSON.parse(readFileSync(paths.engineInfo, 'utf8')) as { url?: unknown };
    if (typeof info.url === 'string') return info.url;
  } catch {
    // Not running: the port the next start uses.
  }
  let port: number | null = null;
  try {
    port = new SettingsStore(paths.settings).read().port;
  } catch {
    // A broken settings file is reported by serve; here the default port is the best guess.
  }
  return `http://127.0.0.1:${port ?? DEFAULT_PORT}`;
}
