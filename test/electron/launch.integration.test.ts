import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliHomeForEachTest } from '../helpers/cli.js';
import { request } from '../helpers/server.js';

// `npm start`'s launcher as a real process. Electron's binary cannot be downloaded here, so the
// desktop branch runs a stand-in binary (through the electron package's ELECTRON_OVERRIDE_DIST_PATH).
const LAUNCHER = fileURLToPath(new URL('../../dist/src-main/electron/launch.js', import.meta.url));
const PROJECT = fileURLToPath(new URL('../../', import.meta.url));

const { home, stopAfterTest } = cliHomeForEachTest('SIGKILL');

interface Output {
  stdout: string;
  stderr: string;
}

function launch(args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; output: Output; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [LAUNCHER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  stopAfterTest(proc);
  const output = { stdout: '', stderr: '' };
  proc.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return { proc, output, exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))) };
}

async function waitFor(check: () => boolean, what: () => string): Promise<void> {
  for (let i = 0; i < 600 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!check()) throw new Error(`timed out waiting: ${what()}`);
}

describe('npm start', () => {
  it('without Electron\'s binary, says so in one line and serves the window for a browser (no display: prints its URL)', async () => {
    const env = { ...home.env, DISPLAY: '', WAYLAND_DISPLAY: '' };
    const { proc, output, exited } = launch(['--port', '0', '--workers', '1'], env);
    await waitFor(() => /in a browser\n/.test(output.stdout), () => JSON.stringify(output));
    const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output.stdout)?.[1] as string;
    expect(output.stdout).toMatch(new RegExp(`^listening on ${url}\\nno display: open ${url}/session/[A-Za-z0-9_-]{40,} in a browser\\n$`));
    expect(output.stderr.split('\n')[0]).toBe('UDF Studio: Electron\'s binary was not downloaded (npm run electron:download fetches it), so the window opens in your browser instead');
    await waitFor(() => output.stderr.includes('runtime ready: ready'), () => output.stderr);
    expect((await request(url, '/api/runtime')).json()).toMatchObject({ phase: 'ready', reason: null });
    // Once the runtime is ready, `/` is the window itself.
    const page = await request(url, '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="app">');
    const workers = (await request(url, '/healthz')).json() as { workers: number };
    expect(workers.workers).toBe(1);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses options serve does not take, with serve\'s usage error', async () => {
    const { output, exited } = launch(['--prot', '1'], { ...home.env, DISPLAY: '' });
    expect(await exited).toBe(2);
    expect(output.stderr).toMatch(/Unknown option '--prot'/);
  });

  it('with Electron\'s binary, runs the desktop app on the project and passes on its exit status', async () => {
    const record = join(home.root, 'electron-args.txt');
    const binary = home.write({ 'electron-dist/electron': `#!/bin/sh\nprintf '%s\\n' "$@" > "${record}"\nexit 7\n` });
    chmodSync(binary, 0o755);
    const { exited } = launch(['--verbose'], { ...home.env, ELECTRON_OVERRIDE_DIST_PATH: join(home.root, 'electron-dist') });
    expect(await exited).toBe(7);
    expect(readFileSync(record, 'utf8')).toBe(`${PROJECT}\n--verbose\n`);
  });
});
