/**
 * Reading a value the terminal must not show: a prompt with echo off when stdin is a terminal,
 * else everything piped in. Values never go on the command line (shell history, `ps`).
 */

import { UsageError } from './cli-error.js';
import type { CliIo } from './command.js';

/** The value was not given: Ctrl-C or Ctrl-D at an empty prompt. */
export class InputCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'InputCancelled';
  }
}

export type InputStream = NonNullable<CliIo['stdin']>;

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const ESCAPE = '\u001b';
const ERASE = new Set(['\u007f', '\b']);

/**
 * The value from a terminal (after `prompt` on `output`, typed without echo, ended by Enter) or
 * from a pipe (all of it, less one final line break). Empty or over `maxBytes` is a usage error.
 */
export async function readHiddenValue(input: InputStream, output: NodeJS.WritableStream, prompt: string, maxBytes: number): Promise<string> {
  const value = input.isTTY && input.setRawMode ? await promptWithoutEcho(input, output, prompt) : await readPiped(input, maxBytes);
  if (value === '') throw new UsageError('the value is empty; type it at the prompt, or pipe it in: printf %s "$VALUE" | udf-studio secret set NAME');
  if (Buffer.byteLength(value, 'utf8') > maxBytes) throw new UsageError(`the value is over ${maxBytes} bytes`);
  return value;
}

async function readPiped(input: NodeJS.ReadableStream, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    // Two bytes of slack for the line break that `echo` adds.
    if (size > maxBytes + 2) throw new UsageError(`the value is over ${maxBytes} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Raw mode turns the terminal's echo off; the keys are read one by one (a paste arrives as one chunk). */
function promptWithoutEcho(input: InputStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  const setRawMode = input.setRawMode?.bind(input) ?? (() => undefined);
  // Echo goes off before the prompt shows, so nothing typed after it can be echoed.
  setRawMode(true);
  output.write(prompt);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value: string[] = [];
    let inEscape = false;
    const finish = (outcome: () => void): void => {
      input.off('data', onData);
      setRawMode(false);
      input.pause();
      output.write('\n');
      outcome();
    };
    const onData = (chunk: string | Buffer): void => {
      for (const char of String(chunk)) {
        if (inEscape) {
          // An arrow or function key: ESC [ ... final letter; none of it is part of the value.
          if (/[A-Za-z~]/.test(char)) inEscape = false;
          continue;
        }
        if (char === '\r' || char === '\n') return finish(() => resolve(value.join('')));
        if (char === CTRL_C || (char === CTRL_D && value.length === 0)) return finish(() => reject(new InputCancelled()));
        if (char === CTRL_D) return finish(() => resolve(value.join('')));
        if (char === ESCAPE) inEscape = true;
        else if (ERASE.has(char)) value = value.slice(0, -1);
        else if (char === CTRL_U) value = [];
        else if (char >= ' ') value.push(char);
      }
    };
    input.on('data', onData);
  });
}
