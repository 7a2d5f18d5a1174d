import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { markedProcesses, TEST_RUN_VARIABLE } from './helpers/leftover-processes.js';
import { isRunning, until } from './helpers/processes.js';

describe.runIf(process.platform === 'linux')('the suite\'s check for processes left behind (issue 16)', () => {
  it('#19: every test process carries the run\'s mark, and a process left running with it is found', async () => {
    expect(process.env[TEST_RUN_VARIABLE]).toMatch(/^[0-9a-f-]{36}$/);
    const runId = randomUUID();
    const child = spawn('sleep', ['600'], { env: { ...process.env, [TEST_RUN_VARIABLE]: runId }, stdio: 'ignore', detached: true });
    const pid = child.pid as number;
    try {
      const found = await until(() => markedProcesses(runId).find((p) => p.pid === pid), 'the marked sleep to be listed');
      expect(found.command).toBe('sleep 600');
    } finally {
      child.kill('SIGKILL');
    }
    await until(() => !isRunning(pid), 'the sleep to end');
    expect(markedProcesses(runId)).toEqual([]);
  });
});
