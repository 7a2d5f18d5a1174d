/**
 * #11: a worker-crash error carries what the crashed run wrote to the worker's stderr, and
 * nothing another run or the worker itself wrote there before.
 */

import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { WorkerPool } from '../../../src-main/engine/runtime/worker-pool.js';
import { inlineUdf, jsonOf, makePool, runOf } from '../../helpers/pool.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';

/** Writes a line straight to fd 2 (as C code and fatal errors do, past any capture). */
const WRITES = (text: string): string => `@fused.udf\ndef udf():\n    import os\n    os.write(2, b"${text}\\n")\n    return "${text}"\n`;
const CRASHES = '@fused.udf\ndef udf():\n    import os, signal\n    os.write(2, b"the crashed run\'s own line\\n")\n    os.kill(os.getpid(), signal.SIGKILL)\n';

let home: TestHome;
let pool: WorkerPool | null = null;
let logged: string[] = [];

beforeAll(() => {
  home = makeTestHome();
});

afterEach(async () => {
  await pool?.close();
  pool = null;
});

afterAll(() => home.remove());

/** Waiters for a log line containing some text, told by the pool's log as each line comes. */
let waiters: Array<{ text: string; resolve: () => void }> = [];

function onLog(line: string): void {
  logged.push(line);
  waiters = waiters.filter((waiter) => (line.includes(waiter.text) ? (waiter.resolve(), false) : true));
}

/** Resolves once the pool's log has shown a line containing `text`. */
function seen(text: string): Promise<void> {
  if (logged.some((line) => line.includes(text))) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ text, resolve }));
}

describe('#11: worker-crash errors', () => {
  it('#11: a worker-crash error carries only the crashed run\'s own stderr, not earlier runs\' of other UDFs', async () => {
    logged = [];
    pool = makePool(home, { size: 1, onLog });
    await pool.start();
    expect(jsonOf(await pool.run(runOf(inlineUdf('Other', WRITES('secret-of-another-run')), {}, { formats: ['json'] })))).toBe('secret-of-another-run');
    // The other run's line has reached the engine (stderr is its own pipe, read apart from answers).
    await seen('secret-of-another-run');
    const crashed = await pool.run(runOf(inlineUdf('Crash', CRASHES)));
    expect(crashed.ok ? null : crashed.error.code).toBe('UDF_ERR_WORKER_CRASHED');
    const message = crashed.ok ? '' : crashed.error.message;
    expect(message).toMatch(/killed by SIGKILL/);
    expect(message).toContain('the crashed run\'s own line');
    expect(message).not.toContain('secret-of-another-run');
    // The engine's log still has every line, and the next run answers.
    expect(logged.some((line) => line.includes('secret-of-another-run'))).toBe(true);
    expect(jsonOf(await pool.run(runOf(inlineUdf('After', WRITES('after')), {}, { formats: ['json'] })))).toBe('after');
  }, 60_000);
});
