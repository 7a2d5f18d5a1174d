/**
 * Reads a process's resident memory, for the pool's per-run memory limit.
 */

import { readFile } from 'node:fs/promises';
import { runCommand } from './command.js';

/** Resident set size of `pid` in bytes, or null when it cannot be read (the process is gone). */
export async function residentBytes(pid: number): Promise<number | null> {
  if (process.platform === 'linux') {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match?.[1] ? Number(match[1]) * 1024 : null;
    } catch {
      return null;
    }
  }
  const ps = await runCommand('ps', ['-o', 'rss=', '-p', String(pid)]);
  const kilobytes = Number(ps.stdout.trim());
  return ps.code === 0 && Number.isFinite(kilobytes) ? kilobytes * 1024 : null;
}
