import { afterEach, describe, expect, it } from 'vitest';
import type { EngineResult } from '../../../src-main/engine/engine-run.js';
import { KEEP_FETCHED_MS, KEEP_FINISHED_MS, LEASE_MS, MAX_FINISHED, PendingRuns } from '../../../src-main/engine/server/pending-runs.js';

function resultOf(bytes: number): EngineResult {
  return {
    outcome: { ok: true, format: 'json', contentType: 'application/json', kind: 'json', empty: false, cacheMaxAge: null, stdout: '', stderr: '', durationMs: 1, body: new Uint8Array(bytes) },
    cache: 'off',
    etag: null,
  };
}

/** A run the test ends when it wants. */
function controlled(): { run: () => Promise<EngineResult>; finish: (result: EngineResult) => void; fail: (error: Error) => void; calls: () => number } {
  let calls = 0;
  let finish: (result: EngineResult) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const promise = new Promise<EngineResult>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { run: () => { calls += 1; return promise; }, finish: (r) => finish(r), fail: (e) => fail(e), calls: () => calls };
}

let runs: PendingRuns | null = null;
afterEach(() => runs?.close());

describe('PendingRuns', () => {
  it('answers null while a run goes on, then its result', async () => {
    runs = new PendingRuns();
    const slow = controlled();
    runs.start('a', slow.run);
    expect(await runs.wait('a', 20)).toBeNull();
    const result = resultOf(3);
    slow.finish(result);
    expect(await runs.wait('a', 1_000)).toEqual({ result });
  });

  it('answers as soon as the run ends, not after the whole wait', async () => {
    runs = new PendingRuns();
    const run = controlled();
    runs.start('a', run.run);
    // A wait far longer than the test's own time limit: only the run's end can answer it.
    const waiting = runs.wait('a', 3_600_000);
    run.finish(resultOf(1));
    expect(await waiting).not.toBeNull();
  });

  it('joins a repeated start instead of running again', async () => {
    runs = new PendingRuns();
    const run = controlled();
    runs.start('a', run.run);
    runs.start('a', run.run);
    expect(run.calls()).toBe(1);
    run.finish(resultOf(1));
    expect(await runs.wait('a', 100)).not.toBeNull();
  });

  it('keeps what a run threw as its end', async () => {
    runs = new PendingRuns();
    const run = controlled();
    runs.start('a', run.run);
    const error = new Error('engine closed');
    run.fail(error);
    expect(await runs.wait('a', 100)).toEqual({ error });
  });

  it('does not know an id that was never started', async () => {
    runs = new PendingRuns();
    expect(await runs.wait('nope', 10)).toBeUndefined();
  });

  it('forgets a finished answer after its time, sooner once fetched', async () => {
    let now = 1_000_000;
    runs = new PendingRuns({ now: () => now });
    for (const id of ['fetched', 'unfetched']) {
      const run = controlled();
      runs.start(id, run.run);
      run.finish(resultOf(1));
    }
    expect(await runs.wait('fetched', 100)).not.toBeNull();
    await Promise.resolve();
    now += KEEP_FETCHED_MS - 1;
    expect(await runs.wait('fetched', 0)).not.toBeNull();
    now += KEEP_FETCHED_MS;
    expect(await runs.wait('fetched', 0)).toBeUndefined();
    expect(await runs.wait('unfetched', 0)).not.toBeNull();
    now += KEEP_FINISHED_MS;
    expect(await runs.wait('unfetched', 0)).toBeUndefined();
  });

  it('keeps at most MAX_FINISHED answers, the oldest going first', async () => {
    runs = new PendingRuns();
    for (let i = 0; i <= MAX_FINISHED; i++) {
      const run = controlled();
      runs.start(`run-${i}`, run.run);
      run.finish(resultOf(1));
      await runs.wait(`run-${i}`, 100);
    }
    expect(await runs.wait('run-0', 0)).toBeUndefined();
    expect(await runs.wait('run-1', 0)).not.toBeUndefined();
    expect(await runs.wait(`run-${MAX_FINISHED}`, 0)).not.toBeUndefined();
  });

  it('drops the oldest answers when their results pass the byte limit', async () => {
    runs = new PendingRuns({ maxFinishedBytes: 2_000 });
    for (const id of ['first', 'second', 'third']) {
      const run = controlled();
      runs.start(id, run.run);
      run.finish(resultOf(900));
      await runs.wait(id, 100);
    }
    expect(await runs.wait('first', 0)).toBeUndefined();
    expect(await runs.wait('second', 0)).not.toBeUndefined();
    expect(await runs.wait('third', 0)).not.toBeUndefined();
  });

  it('#7: cancel stops a run still going, and says what it found for one that ended or never was', async () => {
    runs = new PendingRuns();
    const run = controlled();
    let stop: AbortSignal | null = null;
    runs.start('a', (signal) => {
      stop = signal;
      return run.run();
    });
    expect(runs.cancel('a')).toBe('cancelled');
    expect((stop as AbortSignal | null)?.aborted).toBe(true);
    run.finish(resultOf(1));
    await runs.wait('a', 100);
    expect(runs.cancel('a')).toBe('finished');
    expect(runs.cancel('never')).toBe('unknown');
    expect(runs.runIds()).toEqual(['a']);
  });

  it('#7: a run no request has waited for within the lease is cancelled; one that is polled is not', async () => {
    let now = 1_000_000;
    runs = new PendingRuns({ now: () => now, sweepMs: 5 });
    const signals = new Map<string, AbortSignal>();
    const polled = controlled();
    const abandoned = controlled();
    runs.start('polled', (signal) => {
      signals.set('polled', signal);
      return polled.run();
    });
    runs.start('abandoned', (signal) => {
      signals.set('abandoned', signal);
      return abandoned.run();
    });
    // A poll is waiting for 'polled' while the lease runs out: it is being asked for.
    const waiting = runs.wait('polled', 3_600_000);
    now += LEASE_MS;
    await new Promise((resolve) => signals.get('abandoned')!.addEventListener('abort', resolve, { once: true }));
    expect(signals.get('polled')!.aborted).toBe(false);
    polled.finish(resultOf(1));
    expect(await waiting).not.toBeNull();
  });
});
