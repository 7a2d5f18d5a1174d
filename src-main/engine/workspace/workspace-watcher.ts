/**
 * Watches the workspace folders (chokidar) and keeps the workspace's snapshot fresh, so lookups on
 * the hot path never touch the disk, and listeners hear about every settled change.
 */

import { watch, type FSWatcher } from 'chokidar';
import type { Workspace, WorkspaceEntry } from './workspace.js';

/** Saves closer together than this settle into one refresh (an editor's atomic save, a checkout). */
export const SETTLE_MS = 40;

export type WorkspaceListener = (entries: WorkspaceEntry[], changedPaths: string[]) => void;

export class WorkspaceWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pending = new Set<string>();
  private readonly listeners = new Set<WorkspaceListener>();

  constructor(private readonly workspace: Workspace, private readonly settleMs = SETTLE_MS) {}

  /** Takes the first snapshot and starts watching; resolves once the watcher is ready. */
  async start(): Promise<void> {
    this.workspace.refresh();
    const watcher = watch([...this.workspace.folders], {
      ignoreInitial: true,
      ignored: (path) => /(^|[/\\])(__pycache__|\.git|node_modules)([/\\]|$)/.test(path) || /\.(pyc|swp)$|~$/.test(path),
      depth: 4,
    });
    this.watcher = watcher;
    watcher.on('all', (_event, path) => this.schedule(path));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /** Calls `listener` after each settled change; returns a function that stops it. */
  onChange(listener: WorkspaceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
    await this.watcher?.close();
    this.watcher = null;
  }

  private schedule(path: string): void {
    this.pending.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const changed = [...this.pending];
      this.pending.clear();
      const entries = this.workspace.refresh();
      for (const listener of this.listeners) listener(entries, changed);
    }, this.settleMs);
  }
}
