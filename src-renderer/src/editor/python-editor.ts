/**
 * The code editor's CodeMirror 6 setup: Python with its indentation, block indent and outdent on
 * Tab and Shift+Tab, search and replace, bracket matching and closing, undo history, completion of
 * the `fused` API and the file's own names, lint diagnostics, and colours from the theme's CSS
 * variables (so light and dark follow styles.css).
 */

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentLess, indentMore } from '@codemirror/commands';
import { python, pythonLanguage } from '@codemirror/lang-python';
import { bracketMatching, foldGutter, foldKeymap, getIndentUnit, HighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, lintKeymap } from '@codemirror/lint';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { Compartment, EditorSelection, EditorState, type Extension } from '@codemirror/state';
import { crosshairCursor, drawSelection, dropCursor, EditorView, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers, rectangularSelection, type Command } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { errorLines } from './diagnostics.js';
import { fusedCompletions } from './fused-api.js';
import { moduleCompletions } from './module-completions.js';

export interface EditorHooks {
  /** Ctrl/Cmd+S. */
  save(): void;
  /** The text changed (typing, undo, paste). */
  changed(text: string): void;
}

/** Read-only or not: the one setting that changes while a file is open (an example added to the workspace). */
export const readOnlyCompartment = new Compartment();
/** The hooks of the editor showing the state: reconfigured when a kept state is shown again. */
export const hooksCompartment = new Compartment();
/** The UDF's header modules the file can import, completed after `name.` (their texts change). */
export const modulesCompartment = new Compartment();

/** Completion of the header modules' names, by import name (`utils` for utils.py). */
export function modulesExtension(modules: Readonly<Record<string, string>>): Extension {
  return pythonLanguage.data.of({ autocomplete: moduleCompletions(modules) });
}

/**
 * Tab: with a selection, indent its lines (never replace them); without one, insert spaces up to
 * the next indent stop, as Python editors do.
 */
const indentOrInsert: Command = (view) => {
  if (view.state.readOnly) return false;
  if (view.state.selection.ranges.some((range) => !range.empty)) return indentMore(view);
  const unit = getIndentUnit(view.state);
  view.dispatch(view.state.changeByRange((range) => {
    const column = range.head - view.state.doc.lineAt(range.head).from;
    const spaces = ' '.repeat(unit - (column % unit));
    return { changes: { from: range.head, insert: spaces }, range: EditorSelection.cursor(range.head + spaces.length) };
  }), { scrollIntoView: true, userEvent: 'input' });
  return true;
};

const highlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword, tags.moduleKeyword, tags.operatorKeyword, tags.modifier], color: 'var(--tok-keyword, #7c3aed)' },
  { tag: [tags.string, tags.special(tags.string), tags.escape], color: 'var(--tok-string, #15803d)' },
  { tag: [tags.comment, tags.lineComment], color: 'var(--tok-comment, #94a3b8)', fontStyle: 'italic' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--tok-number, #c2410c)' },
  { tag: [tags.meta], color: 'var(--tok-decorator, #b45309)' },
  { tag: [tags.function(tags.definition(tags.variableName)), tags.definition(tags.className)], color: 'var(--tok-definition, #1d4ed8)', fontWeight: '600' },
  { tag: [tags.self, tags.standard(tags.variableName), tags.className], color: 'var(--tok-builtin, #0e7490)' },
  { tag: tags.invalid, color: 'var(--danger, #dc2626)' },
]);

const theme = EditorView.theme({
  '&': { height: '100%', backgroundColor: 'var(--code-bg, #fbfcfe)', color: 'var(--code-fg, #1e293b)', fontSize: '13px' },
  '.cm-scroller': { fontFamily: 'var(--mono, monospace)', lineHeight: '20px' },
  '.cm-content': { padding: '10px 0', caretColor: 'var(--code-fg, #1e293b)' },
  '.cm-line': { padding: '0 14px 0 6px' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--code-fg, #1e293b)' },
  '.cm-gutters': { backgroundColor: 'var(--code-gutter, #f4f6f9)', color: 'var(--muted-2, #94a3b8)', borderRight: '1px solid var(--border, #e2e8f0)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--hover, #f1f5f9)', color: 'var(--fg, #1f2933)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--hover, #f1f5f9) 55%, transparent)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
    backgroundColor: 'var(--code-selection, rgba(37, 99, 235, 0.25))',
  },
  '&.cm-focused': { outline: 'none' },
  '&.cm-focused .cm-matchingBracket': { backgroundColor: 'var(--selected, #e8effd)', outline: '1px solid var(--accent, #2563eb)' },
  '&.cm-focused .cm-nonmatchingBracket': { backgroundColor: 'var(--error-line-bg, rgba(220, 38, 38, 0.13))' },
  '.cm-searchMatch': { backgroundColor: 'var(--warn-bg, #fffbeb)', outline: '1px solid var(--warn, #f59e0b)' },
  '.cm-searchMatch.cm-searchMatch-selected': { backgroundColor: 'var(--code-selection, rgba(37, 99, 235, 0.25))' },
  '.cm-selectionMatch': { backgroundColor: 'color-mix(in srgb, var(--code-selection, rgba(37, 99, 235, 0.25)) 50%, transparent)' },
  '.cm-error-line': { backgroundColor: 'var(--error-line-bg, rgba(220, 38, 38, 0.13))', boxShadow: 'inset 3px 0 0 var(--danger, #dc2626)' },
  '.cm-panels': { backgroundColor: 'var(--panel-2, #f8fafc)', color: 'var(--fg, #1f2933)' },
  '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--border, #e2e8f0)' },
  '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--border, #e2e8f0)' },
  '.cm-panel.cm-search': { fontFamily: 'inherit', fontSize: '12.5px', padding: '6px 8px' },
  '.cm-panel.cm-search input, .cm-panel.cm-search button': { height: '26px', fontSize: '12.5px' },
  '.cm-panel.cm-search input[type=checkbox]': { height: 'auto' },
  '.cm-panel.cm-search label': { fontSize: '12px' },
  '.cm-textfield': { backgroundColor: 'var(--panel, #fff)', color: 'var(--fg, #1f2933)', border: '1px solid var(--border, #e2e8f0)', borderRadius: '5px' },
  '.cm-button': { backgroundImage: 'none', backgroundColor: 'var(--panel, #fff)', color: 'var(--fg, #1f2933)', border: '1px solid var(--border, #e2e8f0)', borderRadius: '5px' },
  '.cm-tooltip': { backgroundColor: 'var(--panel, #fff)', color: 'var(--fg, #1f2933)', border: '1px solid var(--border, #e2e8f0)', borderRadius: '6px', boxShadow: '0 8px 24px var(--shadow, rgba(15, 23, 42, 0.12))' },
  '.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--mono, monospace)', fontSize: '12.5px' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent, #2563eb)', color: 'var(--accent-fg, #fff)' },
  '.cm-completionDetail': { color: 'var(--muted, #64748b)', fontStyle: 'normal', marginLeft: '1em' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected] .cm-completionDetail': { color: 'inherit' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger, #dc2626)' },
  '.cm-diagnostic': { whiteSpace: 'pre-wrap', maxWidth: '640px', fontFamily: 'var(--mono, monospace)', fontSize: '12px' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--hover, #f1f5f9)', border: '1px solid var(--border, #e2e8f0)', color: 'var(--muted, #64748b)' },
});

/** A new editor state for a file: Python (or plain text) with every editing aid. */
export function createEditorState(doc: string, options: { language: 'python' | 'text'; readOnly: boolean; hooks: EditorHooks; modules: Readonly<Record<string, string>> }): EditorState {
  const extensions: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    lintGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentUnit.of('    '),
    EditorState.tabSize.of(4),
    indentOnInput(),
    syntaxHighlighting(highlightStyle),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ activateOnTyping: true }),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: true }),
    errorLines,
    theme,
    readOnlyCompartment.of(EditorState.readOnly.of(options.readOnly)),
    hooksCompartment.of(hooksExtension(options.hooks)),
    modulesCompartment.of(modulesExtension(options.modules)),
    keymap.of([
      { key: 'Tab', run: indentOrInsert, shift: indentLess },
      // Ctrl+Enter runs the UDF (the page listens); the editor must not insert a line for it.
      { key: 'Mod-Enter', run: () => true },
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      ...foldKeymap,
      ...completionKeymap,
      ...lintKeymap,
    ]),
  ];
  if (options.language === 'python') extensions.push(python(), pythonLanguage.data.of({ autocomplete: fusedCompletions }));
  return EditorState.create({ doc, extensions });
}

/** Save and change hooks for the editor now showing a state. */
export function hooksExtension(hooks: EditorHooks): Extension {
  return [
    keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => { hooks.save(); return true; } }]),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) hooks.changed(update.state.doc.toString());
    }),
  ];
}
