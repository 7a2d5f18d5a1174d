import { describe, expect, it } from 'vitest';
import { expectOk, inlineUdf, jsonOf, poolHomeForEachTest, runOf } from '../../helpers/pool.js';

const ECHO = inlineUdf('Echo', `
import os, time
LOADED_AT = time.time()

@fused.udf
def udf(i: int = 0):
    return {"i": i, "pid": os.getpid(), "loaded_at": LOADED_AT}
`);

const { newPool, startPool } = poolHomeForEachTest();

describe('worker pool (real Python workers)', () => {
  it('runs a UDF, converting string parameters by annotation, and keeps its module warm', async () => {
    const pool = await startPool();
    const first = jsonOf(await pool.run(runOf(ECHO, { i: '41' }))) as { i: number; pid: number; loaded_at: number };
    const second = jsonOf(await pool.run(runOf(ECHO, { i: 42 }))) as typeof first;
    expect(first.i).toBe(41);
    expect(second.i).toBe(42);
    expect(second.pid).toBe(first.pid);
    expect(second.loaded_at).toBe(first.loaded_at);
    // New code (a new key) is loaded again.
    const edited = inlineUdf('Echo', `${ECHO.code}\n# edited\n`);
    const third = jsonOf(await pool.run(runOf(edited, {}))) as typeof first;
    expect(third.loaded_at).toBeGreaterThan(first.loaded_at);
  });

  it('returns stdout, stderr, format and duration', async () => {
    const pool = await startPool();
    const udf = inlineUdf('Printer', `
import sys
@fused.udf
def udf():
    print("to stdout")
    print("to stderr", file=sys.stderr)
    import pandas as pd
    return pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
`);
    const outcome = expectOk(await pool.run(runOf(udf)));
    expect(outcome.stdout).toBe('to stdout\n');
    expect(outcome.stderr).toBe('to stderr\n');
    expect(outcome.kind).toBe('table');
    expect(outcome.format).toBe('csv');
    expect(Buffer.from(outcome.body).toString('utf8').trim().split(/\r?\n/)).toEqual(['a,b', '1,x', '2,y']);
    expect(outcome.durationMs).toBeGreaterThan(0);
  });

  it('reports a UDF error with its class, message, line and a traceback of its own frames', async () => {
    const pool = await startPool();
    const udf = inlineUdf('Fails', `@fused.udf
def udf(n: int = 0):
    x = 1
    return x / n
`);
    const outcome = await pool.run(runOf(udf));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toMatchObject({ code: 'UDF_ERR_RUNTIME', exceptionClass: 'ZeroDivisionError', line: 4 });
    expect(outcome.error.message).toMatch(/division by zero/);
    expect(outcome.error.traceback).toMatch(/line 4/);
    expect(outcome.error.traceback).not.toMatch(/worker_main|_binding/);
  });

  it('names the parameter that does not convert, and refuses unknown ones', async () => {
    const pool = await startPool();
    const bad = await pool.run(runOf(ECHO, { i: 'seven' }));
    expect(bad.ok ? null : bad.error.code).toBe('UDF_ERR_PARAM');
    expect(bad.ok ? '' : bad.error.message).toMatch(/\bi\b/);
    const unknown = await pool.run(runOf(ECHO, { j: '1' }));
    expect(unknown.ok ? null : unknown.error.code).toBe('UDF_ERR_UNKNOWN_PARAM');
  });

  it('describes a UDF, and reports a syntax error with its line', async () => {
    const pool = await startPool();
    const described = await pool.describe(ECHO);
    expect(described.ok && described.description.parameters.map((p) => [p.name, p.annotation, p.default])).toEqual([['i', 'int', 0]]);
    const broken = await pool.describe(inlineUdf('Broken', '@fused.udf\ndef udf(:\n    return 1\n'));
    expect(broken.ok ? null : broken.error).toMatchObject({ code: 'UDF_ERR_SYNTAX', line: 2 });
  });

  it.each([
    ['os._exit', 'import os\n    os._exit(3)', /exited with status 3/],
    ['a segfault', 'import ctypes\n    ctypes.string_at(0)', /SIGSEGV|signal|status -?\d+/],
  ])('survives a UDF that crashes its worker with %s; the queued runs still succeed', async (_label, body, message) => {
    const pool = await startPool({ size: 1 });
    const crash = inlineUdf('Crash', `@fused.udf\ndef udf():\n    ${body}\n`);
    const [crashed, ...after] = await Promise.all([pool.run(runOf(crash)), ...[1, 2, 3].map((i) => pool.run(runOf(ECHO, { i })))]);
    expect(crashed.ok ? null : crashed.error.code).toBe('UDF_ERR_WORKER_CRASHED');
    expect(crashed.ok ? '' : crashed.error.message).toMatch(message);
    expect(after.map((outcome) => (jsonOf(outcome) as { i: number }).i)).toEqual([1, 2, 3]);
  });

  it('stops a run that hangs past its time limit and replaces the worker', async () => {
    const pool = await startPool({ size: 1, timeoutMs: 1_000 });
    const pidBefore = pool.workerPids()[0];
    const hang = inlineUdf('Hang', '@fused.udf\ndef udf():\n    import time\n    time.sleep(600)\n');
    const [hung, beside] = await Promise.all([pool.run(runOf(hang)), pool.run(runOf(ECHO, { i: 5 }))]);
    expect(hung.ok ? null : hung.error).toMatchObject({ code: 'UDF_ERR_TIMEOUT' });
    expect(hung.ok ? '' : hung.error.message).toMatch(/longer than 1 s/);
    // The sleeping run left its worker idle, so the other ran beside it there.
    expect((jsonOf(beside) as { i: number }).i).toBe(5);
    const next = jsonOf(await pool.run(runOf(ECHO, { i: 6 }))) as { i: number; pid: number };
    expect(next.i).toBe(6);
    expect(next.pid).not.toBe(pidBefore);
  });

  it('stops a run that grows past the memory limit', async () => {
    const pool = await startPool({ size: 1, memoryLimitBytes: 400 * 1024 ** 2 });
    const hog = inlineUdf('Hog', `@fused.udf
def udf():
    import time
    chunks = []
    for _ in range(400):
        chunks.append(bytearray(b"x" * (20 * 1024 * 1024)))
        time.sleep(0.01)
    return len(chunks)
`);
    const outcome = await pool.run(runOf(hog));
    expect(outcome.ok ? null : outcome.error.code).toBe('UDF_ERR_MEMORY_LIMIT');
    expect(outcome.ok ? '' : outcome.error.message).toMatch(/over the limit of 400 MiB/);
    expect((jsonOf(await pool.run(runOf(ECHO, { i: 9 }))) as { i: number }).i).toBe(9);
  });

  it('matches every result to its request across 100 concurrent runs on a pool of 2', async () => {
    const pool = await startPool({ size: 2 });
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run(runOf(ECHO, { i: String(i) }))));
    const results = outcomes.map((outcome) => jsonOf(outcome) as { i: number; pid: number });
    expect(results.map((r) => r.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Set(results.map((r) => r.pid)).size).toBe(2);
  });

  it('fails queued runs clearly when closed, and refuses new ones', async () => {
    const pool = await startPool({ size: 1 });
    const slow = inlineUdf('Slow', '@fused.udf\ndef udf():\n    import time\n    time.sleep(0.5)\n    return 1\n');
    const running = pool.run(runOf(slow));
    const queued = pool.run(runOf(ECHO));
    expect(pool.load()).toMatchObject({ running: 1, queued: 1 });
    await pool.close();
    const queuedOutcome = await queued;
    expect(queuedOutcome.ok ? null : queuedOutcome.error.code).toBe('UDF_ERR_ENGINE_CLOSED');
    await running;
    const after = await pool.run(runOf(ECHO));
    expect(after.ok ? null : after.error.code).toBe('UDF_ERR_ENGINE_CLOSED');
  });

  it('says clearly when the runtime cannot start a worker', async () => {
    const pool = newPool({ python: '/nonexistent/python' });
    await expect(pool.start()).rejects.toThrow(/no worker could start/);
  });
});
