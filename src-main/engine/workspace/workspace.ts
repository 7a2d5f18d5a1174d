/**
 * The workspace: the folders of UDFs the engine serves, and how a name or path finds a UDF.
 */

import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { udfError } from '../../../src-shared/errors.js';
import { isUdfFolder, readUdfFile, readUdfFolder, type FolderEntry, type UdfFolder } from './udf-folder.js';

/** A UDF folder as listed, with where it sits. */
export type WorkspaceEntry = FolderEntry & {
  /** The workspace folder it was found in. */
  workspace: string;
  /** The collection folder's name when it sits in one (a folder with collection.json). */
  collection: string | null;
};

/** A runnable UDF folder as listed, with where it sits. */
export type WorkspaceUdf = UdfFolder & { workspace: string; collection: string | null };

/**
 * The list of workspace folders and lookups over them. It reads the disk on every call, unless a
 * {@link WorkspaceWatcher} keeps a snapshot fresh (`refresh`), as the server does.
 */
export class Workspace {
  private current: readonly string[];
  private snapshot: { entries: WorkspaceEntry[]; byName: Map<string, WorkspaceEntry> } | null = null;
  /** Grows whenever the folders or the snapshot change: what was looked up before may differ now. */
  generation = 0;

  constructor(folders: readonly string[]) {
    this.current = uniqueFolders(folders);
  }

  /** The workspace folders, absolute, in order (the first receives new UDFs). */
  get folders(): readonly string[] {
    return this.current;
  }

  /** Serves another list of folders from now on; a kept snapshot is taken again at once. */
  setFolders(folders: readonly string[]): void {
    if (folders.length === 0) throw udfError('UDF_ERR_USAGE', 'the workspace needs at least one folder');
    this.current = uniqueFolders(folders);
    this.generation += 1;
    if (this.snapshot) this.refresh();
  }

  /** Every UDF folder in every workspace folder, collections opened, broken ones included. */
  list(): WorkspaceEntry[] {
    return this.snapshot?.entries ?? this.scan();
  }

  /** Reads the folders again and keeps the result until the next refresh; returns it. */
  refresh(): WorkspaceEntry[] {
    const entries = this.scan();
    const byName = new Map<string, WorkspaceEntry>();
    // First match wins, as in an unwatched lookup: by folder name, then by the UDF's own name.
    for (const entry of entries) if (!byName.has(basename(entry.dir))) byName.set(basename(entry.dir), entry);
    for (const entry of entries) if (!byName.has(entry.name)) byName.set(entry.name, entry);
    this.snapshot = { entries, byName };
    this.generation += 1;
    return entries;
  }

  private scan(): WorkspaceEntry[] {
    const entries: WorkspaceEntry[] = [];
    for (const workspace of this.folders) {
      for (const dir of subfolders(workspace)) {
        if (existsSync(join(dir, 'collection.json'))) {
          for (const member of subfolders(dir)) {
            if (isUdfFolder(member)) entries.push({ ...readUdfFolder(member), workspace, collection: basename(dir) });
          }
        } else if (isUdfFolder(dir)) {
          entries.push({ ...readUdfFolder(dir), workspace, collection: null });
        }
      }
    }
    return entries;
  }

  /**
   * Finds a UDF by a folder path, a `.py` file path or a name (folder name or the UDF's own name;
   * `team/name` and `email/name` use the last part). Throws a clear error for anything else.
   */
  resolve(target: string): UdfFolder {
    if (!target.trim()) throw udfError('UDF_ERR_USAGE', 'no UDF given: name a UDF folder, a .py file or a workspace UDF');
    if (looksLikePath(target)) {
      const path = resolve(target);
      if (!existsSync(path)) throw udfError('UDF_ERR_NOT_FOUND', `${target} does not exist`);
      if (statSync(path).isDirectory()) return runnable(readUdfFolder(path));
      if (path.endsWith('.py')) return fileInItsFolder(path);
      throw udfError('UDF_ERR_USAGE', `${target} is neither a UDF folder nor a .py file`);
    }
    return this.resolveName(target.split('/').pop() as string);
  }

  /** Finds a UDF by name only (folder name or the UDF's own name), never as a path. */
  resolveName(name: string): WorkspaceUdf {
    const known = this.snapshot?.byName.get(name);
    if (known) return runnable(known);
    const matches = this.list().filter((entry) => basename(entry.dir) === name || entry.name === name);
    if (matches.length === 0) {
      const known = this.list().map((entry) => entry.name);
      const near = known.filter((candidate) => candidate.toLowerCase().includes(name.toLowerCase()) || name.toLowerCase().includes(candidate.toLowerCase()));
      const hint = near.length > 0 ? `; did you mean ${near.slice(0, 3).join(', ')}?` : known.length > 0 ? `; known UDFs: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}` : '';
      throw udfError('UDF_ERR_NOT_FOUND', `no UDF named "${name}" in ${this.folders.join(', ') || 'the workspace'}${hint}`);
    }
    return runnable(matches[0] as WorkspaceEntry);
  }

  /**
   * Finds a UDF by name among the members of the collection folders named `collection` (in any
   * workspace folder): by folder name first, then by the UDF's own name.
   */
  resolveInCollection(name: string, collection: string): WorkspaceUdf {
    const members = this.list().filter((entry) => entry.collection === collection);
    const found = members.find((entry) => basename(entry.dir) === name) ?? members.find((entry) => entry.name === name);
    if (!found) {
      const where = this.collectionDirs(collection).length > 0 ? `in the collection "${collection}"` : `because there is no collection "${collection}" (a folder with collection.json) in ${this.folders.join(', ')}`;
      throw udfError('UDF_ERR_NOT_FOUND', `no UDF named "${name}" ${where}`);
    }
    return runnable(found);
  }

  /** The collection folders named `name` (folders with collection.json), in workspace order. */
  collectionDirs(name: string): string[] {
    // A name from a URL must stay a folder name: no separators, no `..`.
    if (/[\\/\0]/.test(name) || name === '.' || name === '..' || !name) return [];
    return this.folders.map((workspace) => join(workspace, name)).filter((dir) => existsSync(join(dir, 'collection.json')));
  }
}

/** Copies the example UDFs into a workspace folder that does not exist yet. Returns whether it did. */
export function seedWorkspace(folder: string, examples: string): boolean {
  if (existsSync(folder)) return false;
  cpSync(examples, folder, { recursive: true });
  return true;
}

function uniqueFolders(folders: readonly string[]): string[] {
  return [...new Set(folders.map((folder) => resolve(folder)))];
}

function runnable<E extends FolderEntry>(entry: E): E & UdfFolder {
  if (entry.kind === 'udf') return entry as E & UdfFolder;
  if (entry.kind === 'node-template') throw udfError('UDF_ERR_NODE_TEMPLATE', `${entry.dir} is a node template (notes or a widget), not a runnable UDF`);
  throw udfError(entry.error.code, entry.error.message, entry.error.file ? { file: entry.error.file, ...(entry.error.line ? { line: entry.error.line } : {}) } : {});
}

/** A .py file that is the code of a UDF folder runs as that folder (with its headers). */
function fileInItsFolder(path: string): UdfFolder {
  const dir = resolve(path, '..');
  if (existsSync(join(dir, 'meta.json'))) {
    const folder = readUdfFolder(dir);
    if (folder.kind === 'udf' && folder.source.path === path) return folder;
  }
  return readUdfFile(path);
}

function looksLikePath(target: string): boolean {
  return target.startsWith('.') || target.startsWith('/') || target.endsWith('.py') || /^[A-Za-z]:[\\/]/.test(target) || existsSync(target);
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== '__pycache__')
      .map((entry) => join(dir, entry.name))
      .sort();
  } catch {
    return [];
  }
}
