/**
 * The window's settings, kept in the home's `settings.json`: what the user chose in the window.
 *
 * A missing or unreadable file means the defaults, so a hand-edited file can never stop the engine.
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { udfError } from '../../src-shared/errors.js';

export interface StoredSettings {
  /** The command that opens a file in the user's editor, with `{file}` and `{line}` filled in. */
  editorCommand: string | null;
}

const DEFAULTS: StoredSettings = { editorCommand: null };
const MAX_COMMAND_LENGTH = 1_000;

export class SettingsStore {
  constructor(private readonly path: string) {}

  read(): StoredSettings {
    try {
      const value = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, unknown>;
      return { editorCommand: typeof value.editorCommand === 'string' && value.editorCommand.trim() ? value.editorCommand : null };
    } catch {
      return { ...DEFAULTS };
    }
  }

  /** Checks and applies a change from the window (a JSON object); returns the new settings. */
  update(changes: Record<string, unknown>): StoredSettings {
    const next = this.read();
    for (const [name, value] of Object.entries(changes)) {
      if (name !== 'editorCommand') throw udfError('UDF_ERR_BAD_REQUEST', `"${name}" is not a setting the window can change (only "editorCommand")`);
      if (value !== null && typeof value !== 'string') throw udfError('UDF_ERR_BAD_REQUEST', '"editorCommand" must be a string or null');
      if (typeof value === 'string' && value.length > MAX_COMMAND_LENGTH) throw udfError('UDF_ERR_BAD_REQUEST', `"editorCommand" is longer than ${MAX_COMMAND_LENGTH} characters`);
      next.editorCommand = typeof value === 'string' && value.trim() ? value.trim() : null;
    }
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
    renameSync(temporary, this.path);
    return next;
  }
}
