import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOutcome } from '../../../src-shared/udf.js';
import { inlineUdf, jsonOf, poolHomeForEachTest, runOf } from '../../helpers/pool.js';

/** Records when it ran, so tests can see which runs overlapped; creates \`marker\` once it runs. */
const SLEEPER = inlineUdf('Sleeper', `
import os, time
@fused.udf
def udf(i: int = 0, seconds: float = 1.0, marker: str = ""):
    began = time.time()
    if marker:
        open(marker, "w").close()
    time.sleep(seconds)
    return {"i": i, "pid": os.getpid(), "began": began, "ended": time.time()}
`);

const SPINNER = inlineUdf('Spinner', `
import os, time
@fused.udf
def udf(i: int = 0, seconds: float = 0.4, marker: str = ""):
    began = time.time()
    if marker:
        open(marker, "w").close()
    n = 0
    while time.time() - began < seconds:
        n += 1
    return {"i": i, "pid": os.getpid(), "began": began, "ended": time.time()}
`);

/** Creates \`marker\` once it runs, then waits until \`gate\` exists. */
const WAITER = inlineUdf('Waiter', `
import os, time
@fused.udf
def udf(i: int = 0, marker: str = "", gate: str = ""):
    open(marker, "w").close()
    while not os.path.exists(gate):
        time.sleep(0.02)
    return {"i": i, "pid": os.getpid()}
`);

interface Interval { i: number; pid: number; began: number; ended: number }

/** Resolves once a run has created its marker file: it is running in its worker. */
async function underWay(marker: string): Promise<void> {
  await expect.poll(() => existsSync(marker), { timeout: 30_000, interval: 20 }).toBe(true);
}

/** The most runs that were in progress at the same moment. */
function peakOverlap(intervals: Interval[]): number {
  return Math.max(...intervals.map((a) => intervals.filter((b) => b.began <= a.began && a.began < b.ended).length));
}

function intervalsOf(outcomes: RunOutcome[]): Interval[] {
  return outcomes.map((outcome) => jsonOf(outcome) as Interval);
}

const { home, startPool } = poolHomeForEachTest();

describe('worker pool concurrency (real Python workers)', () => {
  it('runs many waiting runs at once in one worker, up to its limit', async () => {
    const pool = await startPool({ size: 1 });
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => pool.run(runOf(SLEEPER, { i }))));
    const intervals = intervalsOf(outcomes);
    expect(intervals.map((r) => r.i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(intervals.map((r) => r.pid)).size).toBe(1);
    const peak = peakOverlap(intervals);
    expect(peak).toBeGreaterThan(4);
    expect(peak).toBeLessThanOrEqual(16);
  });

  it('keeps CPU-bound runs at one per worker', async () => {
    const pool = await startPool({ size: 1 });
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => pool.run(runOf(SPINNER, { i }))));
    expect(peakOverlap(intervalsOf(outcomes))).toBe(1);
  });

  it('starts a nested run at once even when every worker is busy computing', async () => {
    const pool = await startPool({ size: 1 });
    const marker = join(home.root, 'busy');
    const busy = pool.run(runOf(SPINNER, { i: 1, seconds: 1.5, marker }));
    await underWay(marker);
    const nested = jsonOf(await pool.run(runOf(SLEEPER, { i: 2, seconds: 0.1 }, { depth: 1 }))) as Interval;
    const outer = jsonOf(await busy) as Interval;
    expect(nested.ended).toBeLessThan(outer.ended);
    expect(nested.pid).toBe(outer.pid);
  });

  it('cancels a queued run and a running one, and the worker goes on', async () => {
    const pool = await startPool({ size: 1 });
    const pid = pool.workerPids()[0];
    const running = new AbortController();
    const queued = new AbortController();
    const marker = join(home.root, 'first');
    const first = pool.run(runOf(SPINNER, { i: 1, seconds: 30, marker }), { signal: running.signal });
    const second = pool.run(runOf(SPINNER, { i: 2, seconds: 30 }), { signal: queued.signal });
    await underWay(marker);
    expect(pool.load()).toMatchObject({ running: 1, queued: 1 });
    queued.abort();
    running.abort();
    const [one, two] = await Promise.all([first, second]);
    expect(one.ok ? null : one.error.code).toBe('UDF_ERR_CANCELLED');
    expect(two.ok ? null : two.error.code).toBe('UDF_ERR_CANCELLED');
    expect(pool.workerPids()).toEqual([pid]);
    const already = new AbortController();
    already.abort();
    const refused = await pool.run(runOf(SLEEPER), { signal: already.signal });
    expect(refused.ok ? null : refused.error.code).toBe('UDF_ERR_CANCELLED');
  });

  it('kills the worker of a run that ignores its cancel, and runs its neighbours again', async () => {
    const pool = await startPool({ size: 1 });
    const pid = pool.workerPids()[0];
    // The neighbours wait for the gate, so they are still running in the worker when it is killed.
    const gate = join(home.root, 'gate');
    const marks = [0, 1, 2].map((i) => join(home.root, `neighbour-${i}`));
    const neighbours = marks.map((marker, i) => pool.run(runOf(WAITER, { i, marker, gate })));
    for (const marker of marks) await underWay(marker);
    // A run in C code (a long sleep on a non-main thread) cannot be interrupted in Python.
    const stuck = new AbortController();
    const stubbornMarker = join(home.root, 'stubborn');
    const stubborn = pool.run(runOf(SLEEPER, { i: 9, seconds: 120, marker: stubbornMarker }), { signal: stuck.signal });
    await underWay(stubbornMarker);
    expect(pool.load()).toMatchObject({ running: 4, queued: 0 });
    stuck.abort();
    const outcome = await stubborn;
    expect(outcome.ok ? null : outcome.error.code).toBe('UDF_ERR_CANCELLED');
    writeFileSync(gate, '');
    const results = (await Promise.all(neighbours)).map((neighbour) => jsonOf(neighbour) as { i: number; pid: number });
    expect(results.map((r) => r.i)).toEqual([0, 1, 2]);
    // They ran again, in the worker that replaced the killed one.
    expect(results.every((r) => r.pid !== pid)).toBe(true);
    expect((jsonOf(await pool.run(runOf(SLEEPER, { seconds: 0 }))) as Interval).pid).not.toBe(pid);
  });

  it('runs a crash that happened in a shared worker again alone, so only the crashing run fails', async () => {
    const pool = await startPool({ size: 1 });
    const crasher = inlineUdf('Crasher', '@fused.udf\ndef udf():\n    import os, time\n    time.sleep(0.5)\n    os._exit(4)\n');
    const others = Array.from({ length: 4 }, (_, i) => pool.run(runOf(SLEEPER, { i, seconds: 0.7 })));
    const crashed = await pool.run(runOf(crasher));
    expect(crashed.ok ? null : crashed.error.code).toBe('UDF_ERR_WORKER_CRASHED');
    expect(intervalsOf(await Promise.all(others)).map((r) => r.i)).toEqual([0, 1, 2, 3]);
  });
});
