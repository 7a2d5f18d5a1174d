/**
 * Errors from the worker (a syntax error at load, a run that raised, a tile that failed) as
 * CodeMirror lint diagnostics on the line they name, with the line itself tinted.
 */

import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { StateEffect, StateField, type EditorState, type Range } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';
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

const setErrorLines = StateEffect.define<number[]>();
const errorLine = Decoration.line({ class: 'cm-error-line', attributes: { 'data-testid': 'error-line' } });

/** Tints the lines that have an error; edits move the tint with the text. */
export const errorLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(lines, transaction) {
    let next = lines.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(setErrorLines)) continue;
      const ranges: Array<Range<Decoration>> = [];
      for (const line of [...new Set(effect.value)].sort((a, b) => a - b)) ranges.push(errorLine.range(transaction.state.doc.line(line).from));
      next = Decoration.set(ranges);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** Shows the diagnostics in the editor (lines past the end of the text are left out). */
export function showDiagnostics(view: EditorView, diagnostics: readonly LineDiagnostic[]): void {
  const state: EditorState = view.state;
  const inRange = diagnostics.filter((diagnostic) => diagnostic.line >= 1 && diagnostic.line <= state.doc.lines);
  const lint: Diagnostic[] = inRange.map((diagnostic) => {
    const line = state.doc.line(diagnostic.line);
    const indent = /^\s*/.exec(line.text)?.[0].length ?? 0;
    return { from: Math.min(line.from + indent, line.to), to: line.to, severity: 'error', message: diagnostic.message };
  });
  view.dispatch(setDiagnostics(state, lint), { effects: setErrorLines.of(inRange.map((diagnostic) => diagnostic.line)) });
}
