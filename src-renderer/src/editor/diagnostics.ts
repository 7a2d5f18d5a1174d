/**
 * Line diagnostics (line-diagnostics.ts) shown in CodeMirror: lint diagnostics on the line they
 * name, with the line itself tinted.
 */

import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { StateEffect, StateField, type EditorState, type Range } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';
import type { LineDiagnostic } from './line-diagnostics.js';

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
