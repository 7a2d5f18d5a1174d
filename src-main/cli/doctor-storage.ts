/**
 * `doctor`'s look at the home's storage: what a running engine says about its result cache, whether
 * the database reads whole, how much disk is left, and who can read the home.
 */

import Database from 'better-sqlite3';
import { existsSync, statfsSync, statSync } from 'node:fs';
import type { HomePaths } from '../engine/home.js';
import { corruptDatabase, isCorruption } from '../engine/store/database.js';
import { findRunningEngine } from './running-engine.js';

/** Below this much free space the home's disk is worth a warning: results stop being cached when it fills. */
const LOW_DISK_BYTES = 1024 ** 3;

export interface StorageReport {
  home: string;
  freeBytes: number | null;
  database: 'ok' | 'absent' | 'damaged' | 'unreadable';
  /** The running engine's health, when one runs for this home. */
  engine: { url: string; status: string; problems: Array<{ code?: string; message?: string; since?: string; failures?: number }> } | null;
  problems: string[];
  warnings: string[];
}

export async function checkStorage(paths: HomePaths): Promise<StorageReport> {
  const report: StorageReport = { home: paths.root, freeBytes: null, database: 'absent', engine: null, problems: [], warnings: [] };
  const running = await findRunningEngine(paths);
  if (running) {
    const problems = Array.isArray(running.health.problems) ? (running.health.problems as NonNullable<StorageReport['engine']>['problems']) : [];
    report.engine = { url: running.url, status: typeof running.health.status === 'string' ? running.health.status : 'unknown', problems };
    for (const problem of problems) report.problems.push(`the engine at ${running.url}: ${problem.code ?? 'problem'}: ${problem.message ?? ''} (${problem.failures ?? 1} since ${problem.since ?? '?'})`);
  }
  if (existsSync(paths.root)) {
    try {
      const disk = statfsSync(paths.root);
      report.freeBytes = disk.bavail * disk.bsize;
      if (report.freeBytes < LOW_DISK_BYTES) report.warnings.push(`only ${(report.freeBytes / 1024 ** 2).toFixed(0)} MiB free on the disk holding ${paths.root}: results stop being cached when it fills`);
    } catch {
      report.freeBytes = null;
    }
    const mode = statSync(paths.root).mode & 0o777;
    if ((mode & 0o077) !== 0) report.warnings.push(`${paths.root} is readable by other users (mode ${mode.toString(8)}); the engine makes it owner-only (700) when it starts`);
  }
  checkDatabase(paths.database, report);
  return report;
}

/** Reads every page of the database (read-only, so a running engine is not disturbed). */
function checkDatabase(path: string, report: StorageReport): void {
  if (!existsSync(path)) return;
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 1000');
    const result = db.pragma('quick_check', { simple: true });
    if (result === 'ok') {
      report.database = 'ok';
      return;
    }
    report.database = 'damaged';
    report.problems.push(corruptDatabase(path, new Error(String(result))).message);
  } catch (error) {
    report.database = isCorruption(error) ? 'damaged' : 'unreadable';
    report.problems.push(isCorruption(error) ? corruptDatabase(path, error as Error).message : `the database ${path} cannot be read: ${(error as Error).message}`);
  } finally {
    db?.close();
  }
}

/** One line for the text report. */
export function formatStorage(report: StorageReport): string {
  const free = report.freeBytes === null ? 'free space unknown' : `${(report.freeBytes / 1024 ** 3).toFixed(1)} GiB free`;
  const engine = report.engine ? `, engine ${report.engine.status} at ${report.engine.url}` : '';
  return `${free}, database ${report.database}${engine}`;
}
