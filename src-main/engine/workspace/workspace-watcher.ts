/**
 * Watches the workspace folders (chokidar) and keeps the workspace's snapshot fresh, so lookups on
 * the hot path never touch the disk, and listeners hear about every settled change.
 *
 * One chokidar watcher per folder, so a folder added while the engine runs is watched (and ready)
 * before `follow` resolves, and a dropped one is let go without disturbing the others.
 */

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Workspace, WorkspaceEntry } from './workspace.js';

/** Saves closer together than this settle into one refresh (an editor's atomic save, a checkout). */
export const SETTLE_MS = 40;
/**
 * chokidar misses a write made a few milliseconds after a file or folder was replaced (an atomic
 * save, a pull), before its new watch is set: changed paths are looked at again after these pauses,
 * and a difference is a change.
 */
export const RECHECK_MS = [250, 1_500] as const;
const IGNORED = /(^|[/\\])(__pycache__|\.git|node_modules)([/\\]|$)|\.(pyc|swp)$|~$/;

export type WorkspaceListener = (entries: WorkspaceEntry[], changedPaths: string[]) => void;

export class WorkspaceWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private started = false;
  private timer: NodeJS.Timeout | null = null;
  private pending = new Set<string>();
  private readonly rechecks = new Set<NodeJS.Timeout>();
  /**
   * What each recently changed path was at the last refresh that saw it, and which refresh that
   * was. A recheck compares with this, not with what its own refresh saw: a path saved again since
   * has been refreshed already, and counting it again would start a refresh for every older recheck.
   */
  private readonly seen = new Map<string, { signature: string; refresh: number }>();
  private refreshes = 0;
  private readonly listeners = new Set<WorkspaceListener>();

  constructor(private readonly workspace: Workspace, private readonly settleMs = SETTLE_MS) {}

  /** Takes the first snapshot and starts watching; resolves once every folder is watched. */
  async start(): Promise<void> {
    this.started = true;
    await this.follow();
  }

  /**
   * Watches the workspace's folders as they are now (after `Workspace.setFolders`): new ones are
   * watched, dropped ones let go, and the snapshot is taken again. Resolves once new folders are watched.
   */
  async follow(): Promise<void> {
    const folders = [...this.workspace.folders];
    this.workspace.refresh();
    if (!this.started) return;
    const dropped = [...this.watchers].filter(([folder]) => !folders.includes(folder));
    for (const [folder] of dropped) this.watchers.delete(folder);
    const added = folders.filter((folder) => !this.watchers.has(folder));
    const starting = added.map((folder) => {
      const watcher = watchFolder(folder, (path) => this.schedule(path));
      this.watchers.set(folder, watcher);
      return new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    });
    await Promise.all([...dropped.map(([, watcher]) => watcher.close()), ...starting]);
  }

  /** Calls `listener` after each settled change; returns a function that stops it. */
  onChange(listener: WorkspaceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const recheck of this.rechecks) clearTimeout(recheck);
    this.rechecks.clear();
    this.seen.clear();
    this.started = false;
    this.listeners.clear();
    const watchers = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(watchers.map((watcher) => watcher.close()));
  }

  private schedule(path: string): void {
    this.pending.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const changed = [...this.pending];
      this.pending.clear();
      const refresh = ++this.refreshes;
      for (const path of changed) this.seen.set(path, { signature: signature(path), refresh });
      const entries = this.workspace.refresh();
      for (const listener of this.listeners) listener(entries, changed);
      this.recheck(changed, refresh);
    }, this.settleMs);
  }

  /**
   * Looks at the paths of a change again later; one that differs from what the last refresh saw
   * is scheduled as a change. After the last look, a path no later refresh saw is forgotten.
   */
  private recheck(paths: string[], refresh: number): void {
    for (const [index, delay] of RECHECK_MS.entries()) {
      const last = index === RECHECK_MS.length - 1;
      const timer = setTimeout(() => {
        this.rechecks.delete(timer);
        for (const path of paths) {
          const known = this.seen.get(path);
          if (!known || this.pending.has(path)) continue;
          if (signature(path) !== known.signature) this.schedule(path);
          else if (last && known.refresh === refresh) this.seen.delete(path);
        }
      }, delay);
      timer.unref();
      this.rechecks.add(timer);
    }
  }
}

/** What a path is now, cheaply: size, time and inode of a file, or of each file under a folder (two levels). */
function signature(path: string, depth = 2): string {
  if (IGNORED.test(path)) return '';
  try {
    const stat = statSync(path);
    if (!stat.isDirectory()) return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (depth === 0) return `dir:${stat.ino}`;
    return readdirSync(path).sort().map((name) => `${name}=${signature(join(path, name), depth - 1)}`).join('|');
  } catch {
    return 'missing';
  }
}

function watchFolder(folder: string, onEvent: (path: string) => void): FSWatcher {
  const watcher = watch(folder, {
    ignoreInitial: true,
    ignored: (path) => IGNORED.test(path),
    depth: 4,
  });
  watcher.on('all', (_event, path) => onEvent(path));
  return watcher;
}
