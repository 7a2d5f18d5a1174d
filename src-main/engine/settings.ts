/**
 * The app's settings, kept in the home's `settings.json`: the workspace folders, the server's port,
 * the editor command, the local account, and the local clones `fused.load` reads GitHub URLs from,
 * as chosen in the window (or by hand). Workers read the same file (`githubClones` in
 * resources/runtime/fused/_github_clones.py, which checks the same shape).
 *
 * `serve` and the app start with them when no flag overrides them. A missing file means the
 * defaults; a file that is not JSON, or holds values that make no sense, is UDF_ERR_SETTINGS naming
 * the file and the value, so a hand edit gone wrong is reported rather than silently dropped.
 * Changes are checked as a whole before the file is replaced (atomically), so a bad value writes
 * nothing.
 */

import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { udfError, type ErrorCode } from '../../src-shared/errors.js';

export interface StoredSettings {
  /** The workspace folders; null: the home's `udfs/`. */
  workspaces: string[] | null;
  /** The port `serve` and the app listen on; null: the default (8765). */
  port: number | null;
  /** The command that opens a file in the user's editor, with `{file}` and `{line}` filled in. */
  editorCommand: string | null;
  /** The local account's email, as `fused.api.whoami()` and `email/Name` lookups see it; null: the default. */
  email: string | null;
  /** The local account's handle (`handle/Name` lookups); null: the default. */
  handle: string | null;
  /** Install a package a UDF misses, at Fused's version, when Fused's image has it; null: off. */
  autoInstallPackages: boolean | null;
  /** Local git clones (bare or not) by GitHub `org/repo`, answering `fused.load` of its URLs; null: none. */
  githubClones: Record<string, string> | null;
}

/** Ports below this need privileges; 0 ("any free port") is a flag's business, not a setting's. */
export const MIN_SETTINGS_PORT = 1024;
export const MAX_PORT = 65535;
const MAX_COMMAND_LENGTH = 1_000;
const MAX_WORKSPACES = 32;
const MAX_PATH_LENGTH = 4_096;
const MAX_CLONES = 64;
const KNOWN = ['workspaces', 'port', 'editorCommand', 'email', 'handle', 'autoInstallPackages', 'githubClones'] as const;
/** GitHub's `org/repo` (the characters GitHub allows in both). */
const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const DEFAULTS: StoredSettings = { workspaces: null, port: null, editorCommand: null, email: null, handle: null, autoInstallPackages: null, githubClones: null };

/**
 * The settings' workspace folders that exist (serve, the window and the CLI all use them): a
 * missing one (an unplugged drive, a deleted folder) is left out with a warning rather than
 * stopping the engine. Undefined when none is set or none exists: the default workspace.
 */
export function existingWorkspaces(folders: string[] | null, file: string, warn: (line: string) => void): string[] | undefined {
  const present = (folders ?? []).filter((folder) => {
    try {
      if (statSync(folder).isDirectory()) return true;
    } catch {
      // Missing: reported below.
    }
    warn(`warning: the workspace folder ${folder} (from ${file}) is not there; serving without it`);
    return false;
  });
  return present.length > 0 ? present : undefined;
}

export class SettingsStore {
  constructor(readonly path: string) {}

  /** The stored settings; the defaults when there is no file. Throws UDF_ERR_SETTINGS for a malformed one. */
  read(): StoredSettings {
    if (!existsSync(this.path)) return { ...DEFAULTS };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw udfError('UDF_ERR_SETTINGS', `${this.path} is not valid JSON (${(error as Error).message}); fix it, or delete it to go back to the defaults`, { file: this.path });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw udfError('UDF_ERR_SETTINGS', `${this.path} must hold a JSON object such as {"port": 8765}`, { file: this.path });
    }
    const fields = parsed as Record<string, unknown>;
    const inFile = (message: string) => udfError('UDF_ERR_SETTINGS', `${this.path}: ${message}`, { file: this.path });
    // Existence is checked when folders are chosen and when the engine starts, not here: a folder on
    // an unplugged drive must not make the file unreadable.
    return {
      workspaces: fields.workspaces === undefined || fields.workspaces === null ? null : checkWorkspaceList(fields.workspaces, inFile),
      port: fields.port === undefined || fields.port === null ? null : checkPort(fields.port, inFile),
      editorCommand: fields.editorCommand === undefined ? null : checkEditorCommand(fields.editorCommand, inFile),
      email: fields.email === undefined || fields.email === null ? null : checkEmail(fields.email, inFile),
      handle: fields.handle === undefined || fields.handle === null ? null : checkHandle(fields.handle, inFile),
      autoInstallPackages: fields.autoInstallPackages === undefined || fields.autoInstallPackages === null ? null : checkFlag('autoInstallPackages', fields.autoInstallPackages, inFile),
      githubClones: fields.githubClones === undefined || fields.githubClones === null ? null : checkClones(fields.githubClones, inFile),
    };
  }

  /**
   * Checks and applies a change (a JSON object of settings); returns the new settings. Anything
   * wrong is UDF_ERR_BAD_REQUEST and nothing is written; workspace folders must exist.
   */
  update(changes: Record<string, unknown>): StoredSettings {
    const next = this.read();
    const bad = (message: string) => udfError('UDF_ERR_BAD_REQUEST', message);
    for (const [name, value] of Object.entries(changes)) {
      if (name === 'workspaces') {
        next.workspaces = value === null ? null : checkWorkspaceList(value, bad);
        for (const folder of next.workspaces ?? []) {
          if (!existsSync(folder)) throw bad(`the workspace folder ${folder} does not exist; create it first`);
          if (!statSync(folder).isDirectory()) throw bad(`${folder} is not a folder`);
        }
      } else if (name === 'port') {
        next.port = value === null ? null : checkPort(value, bad);
      } else if (name === 'editorCommand') {
        next.editorCommand = checkEditorCommand(value, bad);
      } else if (name === 'email') {
        next.email = value === null ? null : checkEmail(value, bad);
      } else if (name === 'handle') {
        next.handle = value === null ? null : checkHandle(value, bad);
      } else if (name === 'autoInstallPackages') {
        next.autoInstallPackages = value === null ? null : checkFlag(name, value, bad);
      } else if (name === 'githubClones') {
        next.githubClones = value === null ? null : checkClones(value, bad);
        for (const [repo, folder] of Object.entries(next.githubClones ?? {})) {
          if (!existsSync(folder) || !statSync(folder).isDirectory()) throw bad(`the clone of ${repo}, ${folder}, is not a folder; clone it first (git clone --bare https://github.com/${repo} ${folder})`);
        }
      } else {
        throw bad(`"${name}" is not a setting (known: ${KNOWN.join(', ')})`);
      }
    }
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    return next;
  }
}

type ErrorOf = (message: string) => Error & { code: ErrorCode };

/** A non-empty list of absolute folder paths, without repeats (resolved, so `a/../b` is `b`). */
function checkWorkspaceList(value: unknown, error: ErrorOf): string[] {
  if (!Array.isArray(value)) throw error('"workspaces" must be a list of folder paths');
  if (value.length === 0) throw error('"workspaces" needs at least one folder');
  if (value.length > MAX_WORKSPACES) throw error(`"workspaces" may hold at most ${MAX_WORKSPACES} folders`);
  const folders: string[] = [];
  for (const [index, entry] of value.entries()) {
    if (typeof entry !== 'string' || !entry.trim()) throw error(`"workspaces"[${index}] must be a folder path`);
    if (entry.length > MAX_PATH_LENGTH || entry.includes('\0')) throw error(`"workspaces"[${index}] is not a usable path`);
    if (!isAbsolute(entry)) throw error(`"workspaces"[${index}] must be an absolute path, got "${entry}"`);
    const folder = resolve(entry);
    if (!folders.includes(folder)) folders.push(folder);
  }
  return folders;
}

function checkPort(value: unknown, error: ErrorOf): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_SETTINGS_PORT || value > MAX_PORT) {
    throw error(`"port" must be a whole number from ${MIN_SETTINGS_PORT} to ${MAX_PORT}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkEditorCommand(value: unknown, error: ErrorOf): string | null {
  if (value !== null && typeof value !== 'string') throw error('"editorCommand" must be a string or null');
  if (typeof value === 'string' && value.length > MAX_COMMAND_LENGTH) throw error(`"editorCommand" is longer than ${MAX_COMMAND_LENGTH} characters`);
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

/** An address of the `name@host` shape; nothing is ever sent to it, it names the local account. */
function checkEmail(value: unknown, error: ErrorOf): string {
  if (typeof value !== 'string' || !/^[^\s@/]{1,64}@[^\s@/]{1,190}$/.test(value)) {
    throw error(`"email" must be an address such as ada@example.com, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A handle as it appears in `handle/Name`: letters, digits, `_`, `-` and `.`. */
function checkHandle(value: unknown, error: ErrorOf): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(value)) {
    throw error(`"handle" must be 1 to 64 letters, digits, "_", "-" or ".", got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * `{"org/repo": "/absolute/clone"}`. Whether a folder is a git repository is checked where it is
 * read (a worker's `fused.load`), so an unplugged drive leaves the file readable.
 */
function checkClones(value: unknown, error: ErrorOf): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw error('"githubClones" must be an object such as {"fusedio/udfs": "/path/to/clone"}');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_CLONES) throw error(`"githubClones" may name at most ${MAX_CLONES} repositories`);
  const clones: Record<string, string> = {};
  for (const [repo, folder] of entries) {
    if (!REPO_NAME.test(repo)) throw error(`"githubClones" names repositories as "org/repo", got ${JSON.stringify(repo)}`);
    if (typeof folder !== 'string' || !folder || folder.length > MAX_PATH_LENGTH || folder.includes('\0') || !isAbsolute(folder)) {
      throw error(`"githubClones"["${repo}"] must be an absolute path, got ${JSON.stringify(folder)}`);
    }
    clones[repo] = resolve(folder);
  }
  return clones;
}

function checkFlag(name: string, value: unknown, error: ErrorOf): boolean {
  if (typeof value !== 'boolean') throw error(`"${name}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
