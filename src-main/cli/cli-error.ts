/**
 * How the CLI reports errors and which exit status each kind gets.
 */

import { describeError, UdfStudioError, type ErrorCode } from '../../src-shared/errors.js';

/** Exit statuses: 1 a run or check failed, 2 the command line was wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Errors found in the command line itself, before anything ran. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['UDF_ERR_USAGE', 'UDF_ERR_BAD_TILE', 'UDF_ERR_FORMAT', 'UDF_ERR_BAD_PACKAGE', 'UDF_ERR_EXPORT_AREA', 'UDF_ERR_EXPORT_TOO_LARGE']);

/** A mistake on the command line; printed with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prints an error the way a terminal user wants to read it and returns the exit status. */
export function reportError(error: unknown, write: (text: string) => void): number {
  if (error instanceof UsageError) {
    write(`udf-studio: ${error.message}\nRun "udf-studio help" for the commands and their options.\n`);
    return EXIT_USAGE;
  }
  if (error instanceof UdfStudioError) {
    write(`udf-studio: ${describeError(error.data)}\n`);
    return USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILURE;
  }
  write(`udf-studio: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT_FAILURE;
}
