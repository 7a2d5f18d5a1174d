/**
 * Processes a test run leaves behind. The suite's global setup marks its environment with a run id,
 * which every process it starts inherits (servers, workers, what UDFs start); at the end, any
 * process still carrying the mark has outlived the test that started it.
 */

import { readdirSync, readFileSync } from 'node:fs';

/** The variable that carries the test run's id. */
export const TEST_RUN_VARIABLE = 'UDF_STUDIO_TEST_RUN';

export interface MarkedProcess {
  pid: number;
  command: string;
}

/**
 * Live processes (Linux; elsewhere none are found) whose environment has `VARIABLE=runId`, but this
 * one and the children of `runner` (vitest's own test workers, when it is the suite's main process).
 */
export function markedProcesses(runId: string, runner?: number): MarkedProcess[] {
  if (process.platform !== 'linux') return [];
  const mark = `${TEST_RUN_VARIABLE}=${runId}`;
  const found: MarkedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || Number(ppid) === runner) continue;
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(mark)) continue;
      found.push({ pid, command: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // Ended meanwhile, or not ours to read.
    }
  }
  return found;
}
