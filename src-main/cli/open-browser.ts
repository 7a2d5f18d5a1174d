/**
 * Opens a URL in the system browser (`open`, `start`, `xdg-open`), or says why it cannot.
 */

import { spawn } from 'node:child_process';

export type OpenResult = { opened: true } | { opened: false; reason: string };

/** The command that opens a URL on this platform; null on a Linux or BSD session with no display. */
export function browserOpener(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } | null {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start` is a cmd built-in; its first quoted argument is a window title.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return { command: 'xdg-open', args: [url] };
}

/** Starts the opener and resolves once it is running (it is not waited for: some block until the browser closes). */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Promise<OpenResult> {
  const opener = browserOpener(url, env, platform);
  if (!opener) return Promise.resolve({ opened: false, reason: 'no display' });
  return new Promise((resolve) => {
    const child = spawn(opener.command, opener.args, { env, stdio: 'ignore', detached: true });
    child.once('error', (error) => resolve({ opened: false, reason: `${opener.command} failed (${error.message})` }));
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true });
    });
  });
}
