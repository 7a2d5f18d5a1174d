/**
 * Runs the built `udf-studio` command as a real process.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { homeForEachTest, type TestHome } from './test-home.js';

export const CLI = fileURLToPath(new URL('../../bin/udf-studio.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
}

export interface ServeOptions {
  /** A file-size limit for the engine's process (`ulimit -f`, in KiB): a full disk, unprivileged. */
  fileSizeLimitKb?: number;
}

/**
 * Starts `udf-studio serve ARGS` and resolves once it prints its listening line; `onSpawn` gets the
 * process at once, so a test can stop one that never gets that far.
 */
export function startServe(args: string[], env: NodeJS.ProcessEnv, onSpawn?: (proc: ChildProcess) => void, options: ServeOptions = {}): Promise<ServeProcess> {
  const command = [process.execPath, CLI, 'serve', ...args];
  // The shell sets the limit (POSIX counts 512-byte blocks), then becomes the engine: its workers inherit it.
  const proc = options.fileSizeLimitKb === undefined
    ? spawn(process.execPath, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('/bin/sh', ['-c', `ulimit -f ${options.fileSizeLimitKb * 2} && exec "$@"`, 'serve', ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(proc);
  let out = '';
  let err = '';
  proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^listening on (http:\/\/\S+)$/m.exec(out);
      if (match?.[1]) resolve({ proc, url: match[1], stdout: () => out, stderr: () => err });
    });
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Sends `signal` to `proc` unless it has ended already, and resolves once it has. */
export async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}

export interface CliTestHome {
  /** The home of the test under way (see homeForEachTest). */
  home: TestHome;
  /** Has `proc` stopped with the file's signal after the test, before its home is removed. */
  stopAfterTest: (proc: ChildProcess) => void;
}

/** For a file whose tests start `udf-studio` processes: a home for each test, and those processes stopped after it. */
export function cliHomeForEachTest(signal: NodeJS.Signals = 'SIGTERM'): CliTestHome {
  let started: ChildProcess[] = [];
  const home = homeForEachTest({
    cleanup: async () => {
      const stopping = started;
      started = [];
      await Promise.all(stopping.map((proc) => stopProcess(proc, signal)));
    },
  });
  return { home, stopAfterTest: (proc) => { started.push(proc); } };
}
