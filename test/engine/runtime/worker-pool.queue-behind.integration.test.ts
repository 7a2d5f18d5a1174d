import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOutcome } from '../../../src-shared/udf.js';
import { inlineUdf, jsonOf, poolHomeForEachTest, runOf } from '../../helpers/pool.js';
import type { WorkerPool } from '../../../src-main/engine/runtime/worker-pool.js';

/** Quick unless told to sleep; creates `marker` once it runs; `crash` ends its worker. */
const QUICK = inlineUdf('Quick', `
import os, time
@fused.udf
def udf(i: int = 0, seconds: float = 0.0, marker: str = "", crash: bool = False):
    began = time.time()
    if marker:
        open(marker, "w").close()
    if crash:
        os._exit(3)
    time.sleep(seconds)
    return {"i": i, "pid": os.getpid(), "began": began, "ended": time.time()}
`);

interface Interval { i: number; pid: number; began: number; ended: number }

const { home, startPool } = poolHomeForEachTest();

/** A pool of one worker whose last run of QUICK was quick (a worker's very first run is not). */
async function warmPool(): Promise<WorkerPool> {
  const pool = await startPool({ size: 1 });
  for (let run = 0; run < 3; run++) jsonOf(await pool.run(runOf(QUICK)));
  return pool;
}

function codeOf(outcome: RunOutcome): string | null {
  return outcome.ok ? null : outcome.error.code;
}

describe('runs queued behind a quick run in a busy worker (real Python workers)', () => {
  it('queues the next run of a quick UDF in the busy worker, which starts it when the first ends', async () => {
    const pool = await warmPool();
    const first = pool.run(runOf(QUICK, { i: 1, seconds: 0.3 }));
    const second = pool.run(runOf(QUICK, { i: 2 }));
    expect(pool.load()).toMatchObject({ running: 1, queued: 1, perWorker: [{ running: 1, behind: 1 }] });
    const [a, b] = [jsonOf(await first) as Interval, jsonOf(await second) as Interval];
    expect([a.i, b.i]).toEqual([1, 2]);
    expect(b.pid).toBe(a.pid);
    expect(b.began).toBeGreaterThanOrEqual(a.ended);
    expect(pool.load()).toMatchObject({ running: 0, queued: 0, perWorker: [{ running: 0, behind: 0 }] });
  });

  it('keeps the runs of a UDF whose last run was slow in the engine\'s queue', async () => {
    const pool = await startPool({ size: 1 });
    jsonOf(await pool.run(runOf(QUICK, { seconds: 0.05 })));
    const first = pool.run(runOf(QUICK, { i: 1, seconds: 0.2 }));
    const second = pool.run(runOf(QUICK, { i: 2 }));
    expect(pool.load()).toMatchObject({ running: 1, queued: 1, perWorker: [{ running: 1, behind: 0 }] });
    expect((jsonOf(await second) as Interval).i).toBe(2);
    expect((jsonOf(await first) as Interval).i).toBe(1);
  });

  it('matches every result to its request across 200 quick runs on a pool of 2', async () => {
    const pool = await startPool({ size: 2 });
    for (let run = 0; run < 3; run++) jsonOf(await pool.run(runOf(QUICK)));
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run(runOf(QUICK, { i }))));
    expect(outcomes.map((outcome) => (jsonOf(outcome) as Interval).i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('gives the queued run its own time limit, counted from when it starts', async () => {
    const pool = await warmPool();
    const first = pool.run(runOf(QUICK, { i: 1, seconds: 0.8 }));
    const second = pool.run(runOf(QUICK, { i: 2 }, { timeoutMs: 500 }));
    expect(pool.load().perWorker[0]?.behind).toBe(1);
    expect((jsonOf(await second) as Interval).i).toBe(2);
    expect((jsonOf(await first) as Interval).i).toBe(1);
  });

  it('runs the queued run elsewhere when the run ahead of it times out', async () => {
    const pool = await warmPool();
    const [pid] = pool.workerPids();
    const first = pool.run(runOf(QUICK, { i: 1, seconds: 30 }, { timeoutMs: 400 }));
    const second = pool.run(runOf(QUICK, { i: 2 }));
    expect(pool.load().perWorker[0]?.behind).toBe(1);
    expect(codeOf(await first)).toBe('UDF_ERR_TIMEOUT');
    const result = jsonOf(await second) as Interval;
    expect(result.i).toBe(2);
    expect(result.pid).not.toBe(pid);
  });

  it('runs the queued run again when the run ahead of it crashes the worker, and blames only that one', async () => {
    const pool = await warmPool();
    const first = pool.run(runOf(QUICK, { i: 1, crash: true }));
    const second = pool.run(runOf(QUICK, { i: 2 }));
    expect(pool.load().perWorker[0]?.behind).toBe(1);
    expect(codeOf(await first)).toBe('UDF_ERR_WORKER_CRASHED');
    expect((jsonOf(await second) as Interval).i).toBe(2);
  });

  it('cancels a queued run at once, without killing the worker or touching the run ahead', async () => {
    const pool = await warmPool();
    const [pid] = pool.workerPids();
    const ran = join(home.root, 'ran');
    const first = pool.run(runOf(QUICK, { i: 1, seconds: 0.5 }));
    const abort = new AbortController();
    const second = pool.run(runOf(QUICK, { i: 2, marker: ran }), { signal: abort.signal });
    expect(pool.load().perWorker[0]?.behind).toBe(1);
    abort.abort();
    expect(codeOf(await second)).toBe('UDF_ERR_CANCELLED');
    expect(pool.load().perWorker[0]?.running).toBe(1);
    expect((jsonOf(await first) as Interval).i).toBe(1);
    expect((jsonOf(await pool.run(runOf(QUICK, { i: 3 }))) as Interval).pid).toBe(pid);
    expect(existsSync(ran)).toBe(false);
  });
});
