/**
 * Handing files to the desktop: reveal a folder in the file manager, open a file in the user's
 * editor. Commands are run without a shell, so a file name can never become a command.
 */

import { spawn } from 'node:child_process';
import { udfError } from '../../../src-shared/errors.js';

/** The platform's "show this folder" command. */
export function revealCommand(dir: string, platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['open', dir];
  if (platform === 'win32') return ['explorer', dir];
  return ['xdg-open', dir];
}

/**
 * The editor command for a file: the user's template (`code --goto {file}:{line}`) split into
 * arguments, placeholders filled per argument; without a template, the platform's opener.
 */
export function editorCommand(template: string | null, file: string, line: number | null, platform: NodeJS.Platform = process.platform): string[] {
  if (!template) return revealCommand(file, platform);
  const words = splitCommand(template);
  if (words.length === 0) throw udfError('UDF_ERR_BAD_REQUEST', 'the editor command is empty');
  const filled = words.map((word) => word.replaceAll('{file}', file).replaceAll('{line}', String(line ?? 1)));
  return words.some((word) => word.includes('{file}')) ? filled : [...filled, file];
}

/** Splits a command line into words: whitespace separates, single or double quotes group. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  let started = false;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (quote) throw udfError('UDF_ERR_BAD_REQUEST', `the command has an unclosed ${quote} quote`);
  if (started) words.push(current);
  return words;
}

/**
 * Starts a command detached from the engine; resolves once it has started, rejects with a clear
 * error when it cannot (not installed, not executable).
 */
export function launch(command: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [program, ...args] = command;
  if (!program) return Promise.reject(udfError('UDF_ERR_BAD_REQUEST', 'no command to run'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, detached: true, stdio: 'ignore' });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(udfError('UDF_ERR_USAGE', `cannot run "${program}": ${error.code === 'ENOENT' ? 'no such program' : error.message}`));
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
