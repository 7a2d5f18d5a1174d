/**
 * The code editor's component, loaded on first use (components/LazyCodeEditor.svelte shows the
 * file's text until then): CodeMirror is a chunk of its own of about 490 KB, which the window's
 * first view does not wait for. The window asks for it when idle after its first paint.
 */

import type { Component } from 'svelte';
import type { LineDiagnostic } from './line-diagnostics.js';

/** CodeEditor.svelte's props. */
export interface CodeEditorProps {
  value: string;
  /** Names the file's kept state (editor-sessions.ts `sessionKey`). */
  docKey: string;
  diagnostics?: LineDiagnostic[];
  /** The UDF's other modules by import name (`utils` for utils.py), for completion. */
  modules?: Record<string, string>;
  readonly?: boolean;
  language?: 'python' | 'text';
  onSave?: () => void;
}

/** What CodeEditor.svelte lets its page do. */
export interface EditorHandle {
  revealLine(line: number): void;
}

export type EditorComponent = Component<CodeEditorProps, EditorHandle, 'value'>;

let loading: Promise<EditorComponent> | null = null;
let loaded: EditorComponent | null = null;

/** The editor's component when it has loaded, so a later editor (a tab switch) shows at once. */
export function loadedEditor(): EditorComponent | null {
  return loaded;
}

/** Loads the editor's code once; a failed load is tried again by the next call. */
export function loadEditor(): Promise<EditorComponent> {
  loading ??= (import('../components/CodeEditor.svelte') as Promise<{ default: EditorComponent }>).then((module) => (loaded = module.default));
  loading.catch(() => (loading = null));
  return loading;
}
