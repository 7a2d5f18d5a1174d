/**
 * The shape every CLI command has, and the streams it writes to.
 */

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Where `secret set` reads a value (a terminal or a pipe); process.stdin when absent. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
}

export interface Command {
  name: string;
  /** One line for `udf-studio help`. */
  summary: string;
  /** The full usage text for `udf-studio help NAME`. */
  usage: string;
  /** Runs the command and gives its exit status (at once when the command does no I/O that waits). */
  run(args: string[], io: CliIo): number | Promise<number>;
}
