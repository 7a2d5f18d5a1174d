/**
 * The editor state of every file opened in this window (its text, selection and undo history),
 * kept across tab switches and across leaving a UDF and coming back. Beyond MAX_KEPT files the
 * least recently shown one is forgotten.
 */

import type { EditorState } from '@codemirror/state';

const MAX_KEPT = 40;
const kept = new Map<string, EditorState>();

export function sessionKey(udf: string, file: string): string {
  return `${udf}/${file}`;
}

export function keptState(key: string): EditorState | undefined {
  return kept.get(key);
}

export function keepState(key: string, state: EditorState): void {
  kept.delete(key);
  kept.set(key, state);
  while (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value as string);
}
