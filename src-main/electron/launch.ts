/**
 * What `npm start` runs, in plain Node: the desktop app when Electron's binary is installed;
 * otherwise one line saying so, then the engine with the window in the system browser (or its URL
 * printed when there is no display), exactly as `udf-studio serve --open`.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../cli.js';
import { findElectronBinary } from './electron-binary.js';

/** The project folder: Electron runs the app from its package.json `main`. */
const APP_DIR = fileURLToPath(new URL('../../../', import.meta.url));

async function launch(args: string[]): Promise<number> {
  const electron = findElectronBinary();
  if (electron.path === null) {
    process.stderr.write(`UDF Studio: ${electron.reason} (npm run electron:download fetches it), so the window opens in your browser instead\n`);
    return main(['serve', '--open', ...args], { stdout: process.stdout, stderr: process.stderr, env: process.env });
  }
  const child = spawn(electron.path, [APP_DIR, ...args], { stdio: 'inherit' });
  // The app stops its engine on these; forward them so Ctrl-C in the terminal quits it cleanly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`UDF Studio: could not start Electron: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

process.exitCode = await launch(process.argv.slice(2));
