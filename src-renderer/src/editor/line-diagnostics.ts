/**
 * Errors from the worker (a syntax error at load, a run that raised, a tile that failed) as line
 * diagnostics of the files they name. Plain data: the UDF page computes them without loading the
 * editor (diagnostics.ts shows them in CodeMirror).
 */

import type { ErrorData } from '../../../src-shared/errors.js';

/** Where an error was reported: loading the code, a run, or a tile of the map. */
export type ErrorSource = 'load' | 'run' | 'tile';

export interface ReportedError {
  source: ErrorSource;
  error: ErrorData;
}

/** A diagnostic of one file: its 1-based line and what to say there. */
export interface LineDiagnostic {
  line: number;
  message: string;
  source: ErrorSource;
}

const SOURCE_LABEL: Record<ErrorSource, string> = { load: 'loading the UDF', run: 'the last run', tile: 'a map tile' };

/** The file an error is in: the one its path names, else the code file (the first). */
export function errorFileOf(error: ErrorData, fileNames: readonly string[]): string | undefined {
  const named = error.file?.split(/[\\/]/).pop();
  return fileNames.find((name) => name === named) ?? fileNames[0];
}

/** The diagnostics of one file from the errors shown on the page: one per error that names a line in it. */
export function diagnosticsOf(fileName: string, fileNames: readonly string[], errors: readonly ReportedError[]): LineDiagnostic[] {
  const seen = new Set<string>();
  const out: LineDiagnostic[] = [];
  for (const { source, error } of errors) {
    if (!error.line || errorFileOf(error, fileNames) !== fileName) continue;
    const message = `${error.exceptionClass ? `${error.exceptionClass}: ` : ''}${error.message}`;
    // A tile error repeats the run's when both hit the same line for the same reason.
    const key = `${error.line}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ line: error.line, message: `${message}\n(from ${SOURCE_LABEL[source]})`, source });
  }
  return out;
}
