import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../src-shared/udf.js';
import { SharedRuns } from '../../src-main/engine/shared-runs.js';

/** A run the test ends by hand, recording the signal it was started with. */
function controllable(): { start: (signal: AbortSignal) => Promise<RunOutcome>; starts: AbortSignal[]; finish: (text: string) => void } {
  const starts: AbortSignal[] = [];
  let finish: (text: string) => void = () => {};
  const start = (signal: AbortSignal): Promise<RunOutcome> => {
    starts.push(signal);
    return new Promise((resolve) => {
      finish = (text) => resolve({ ok: true, stdout: text, stderr: '', durationMs: 1, format: 'json', contentType: 'application/json', kind: 'json', empty: false, cacheMaxAge: null, body: new Uint8Array() });
    });
  };
  return { start, starts, finish: (text) => finish(text) };
}

function codeOf(outcome: RunOutcome): string | null {
  return outcome.ok ? null : outcome.error.code;
}

describe('runs shared by identical requests (issue 16, #7)', () => {
  it('#7: stops the run once every request that joined it is cancelled, each leaving at once', async () => {
    const runs = new SharedRuns();
    const run = controllable();
    const [first, second] = [new AbortController(), new AbortController()];
    const answers = [runs.join('k', run.start, first.signal), runs.join('k', run.start, second.signal)];
    expect(run.starts).toHaveLength(1);
    first.abort();
    expect(codeOf(await answers[0]!)).toBe('UDF_ERR_CANCELLED');
    expect(run.starts[0]!.aborted).toBe(false);
    second.abort();
    expect(codeOf(await answers[1]!)).toBe('UDF_ERR_CANCELLED');
    expect(run.starts[0]!.aborted).toBe(true);
  });

  it('#7: keeps a run going for the requests still waiting, and for one that cannot be cancelled', async () => {
    const runs = new SharedRuns();
    const run = controllable();
    const leaving = new AbortController();
    const left = runs.join('k', run.start, leaving.signal);
    const staying = runs.join('k', run.start, new AbortController().signal);
    const pinned = runs.join('k', run.start);
    leaving.abort();
    run.finish('done');
    expect(codeOf(await left)).toBe('UDF_ERR_CANCELLED');
    expect((await staying).stdout).toBe('done');
    expect((await pinned).stdout).toBe('done');
    expect(run.starts).toHaveLength(1);
    expect(run.starts[0]!.aborted).toBe(false);
  });

  it('#7: starts afresh after a cancelled run, and never for a request already cancelled', async () => {
    const runs = new SharedRuns();
    const run = controllable();
    const gone = new AbortController();
    gone.abort();
    expect(codeOf(await runs.join('k', run.start, gone.signal))).toBe('UDF_ERR_CANCELLED');
    expect(run.starts).toHaveLength(0);
    const cancelled = new AbortController();
    const first = runs.join('k', run.start, cancelled.signal);
    cancelled.abort();
    await first;
    const again = runs.join('k', run.start, new AbortController().signal);
    expect(run.starts).toHaveLength(2);
    run.finish('second');
    expect((await again).stdout).toBe('second');
  });
});
