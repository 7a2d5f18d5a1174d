/**
 * Reads the memory a worker's group of processes holds, for the pool's per-run memory limit.
 */

import { runCommand } from './command.js';
import { procText } from './process-group.js';

/** Resident set size of `pid` in bytes, or null when it cannot be read (the process is gone). */
export async function residentBytes(pid: number): Promise<number | null> {
  if (process.platform === 'linux') return kilobytesIn(`/proc/${pid}/status`, /^VmRSS:\s+(\d+)\s+kB/m);
  const ps = await runCommand('ps', ['-o', 'rss=', '-p', String(pid)]);
  const kilobytes = Number(ps.stdout.trim());
  return ps.code === 0 && Number.isFinite(kilobytes) ? kilobytes * 1024 : null;
}

/**
 * The memory of a group of processes (the first is the worker), or null when the first is gone.
 * With children it is their proportional set sizes summed on Linux, so pages a fork still shares
 * with its parent count once rather than once per process.
 */
export async function groupBytes(pids: readonly number[]): Promise<number | null> {
  const [first, ...others] = pids;
  if (first === undefined) return null;
  if (others.length === 0) return residentBytes(first);
  if (process.platform !== 'linux') {
    const ps = await runCommand('ps', ['-o', 'rss=', '-p', pids.join(',')]);
    const kilobytes = ps.stdout.split('\n').map(Number).filter((value) => Number.isFinite(value));
    return kilobytes.length > 0 ? kilobytes.reduce((sum, value) => sum + value, 0) * 1024 : null;
  }
  const sizes = pids.map((pid) => kilobytesIn(`/proc/${pid}/smaps_rollup`, /^Pss:\s+(\d+)\s+kB/m)
    ?? kilobytesIn(`/proc/${pid}/status`, /^VmRSS:\s+(\d+)\s+kB/m));
  if (sizes[0] === null) return null;
  return sizes.reduce<number>((sum, bytes) => sum + (bytes ?? 0), 0);
}

/** Read synchronously, as process-group.ts reads /proc, for the same reason. */
function kilobytesIn(path: string, pattern: RegExp): number | null {
  const match = pattern.exec(procText(path));
  return match?.[1] ? Number(match[1]) * 1024 : null;
}
