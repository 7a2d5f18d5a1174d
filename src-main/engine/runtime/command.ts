/**
 * Runs a short-lived command (python, pip) and collects its output, optionally line by line.
 */

import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each line of stdout and stderr as it arrives (setup progress). */
  onLine?: (line: string) => void;
  /** Aborting kills the command (the app quits during setup). */
  signal?: AbortSignal;
}

/** Runs `command args` to completion. A command that cannot start resolves with code null. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, signal: options.signal, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    const collect = (sink: string[]) => {
      let pending = '';
      return (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        sink.push(text);
        if (!options.onLine) return;
        pending += text;
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) options.onLine(line);
      };
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (error) => resolvePromise({ code: null, stdout: out.join(''), stderr: `${err.join('')}${error.message}` }));
    child.on('close', (code) => resolvePromise({ code, stdout: out.join(''), stderr: err.join('') }));
  });
}
