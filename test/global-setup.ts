/**
 * Fails the run when a test leaves a process behind (issue 16, #19): every process the tests start
 * inherits a mark, and at the end none may still carry it. Leftovers are named, then killed.
 */

import { randomUUID } from 'node:crypto';
import { markedProcesses, TEST_RUN_VARIABLE } from './helpers/leftover-processes.js';

/** How long processes ended at the suite's close (its test files' workers) may take to go. */
const EXIT_GRACE_MS = 10_000;

export function setup(): () => Promise<void> {
  const runId = randomUUID();
  process.env[TEST_RUN_VARIABLE] = runId;
  return async () => {
    const deadline = Date.now() + EXIT_GRACE_MS;
    let left = markedProcesses(runId, process.pid);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = markedProcesses(runId, process.pid);
    }
    if (left.length === 0) return;
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    throw new Error(`the tests left ${left.length} process(es) running (now killed):\n${left.map((p) => `  ${p.pid} ${p.command}`).join('\n')}`);
  };
}
