/**
 * Code runs the official client starts and then polls for (`.../run/udf/start`, then
 * `.../run/udf/get/{run_id}`), kept by the run id the client made up.
 *
 * The client gives each of its requests 5 s, so an answer that is not ready is a 202 well before
 * that and the client asks again. A finished run's answer is kept until it has been fetched (and
 * a little longer, for a client that retries a request whose answer it lost), but no longer than
 * {@link KEEP_FINISHED_MS}, and at most {@link MAX_FINISHED} answers or {@link MAX_FINISHED_BYTES}
 * of results at once, the oldest going first.
 *
 * A run nobody asks for is cancelled: by `DELETE .../run/udf/get/{run_id}` (an engine that proxied
 * the run sends it when its own client goes away), or once no request has waited for it for
 * {@link LEASE_MS} (a client that went away without a word: the official client polls every
 * second or so, each poll waiting up to {@link WAIT_MS}).
 */

import type { EngineResult } from '../engine-run.js';

/** How long a start or poll request waits for its run before answering 202. */
export const WAIT_MS = 2_000;
/** A finished run's answer is forgotten this long after the run ended, fetched or not. */
export const KEEP_FINISHED_MS = 10 * 60_000;
/** ... or this long after it was first fetched (a client that lost the answer asks again). */
export const KEEP_FETCHED_MS = 30_000;
export const MAX_FINISHED = 256;
export const MAX_FINISHED_BYTES = 512 * 1024 ** 2;
/** A run no request has waited for in this long is cancelled: its client is gone. */
export const LEASE_MS = 60_000;
/** How often expired answers and runs out of lease are swept. */
const SWEEP_MS = 15_000;

/** How a run ended: its result, or what the engine threw (a bad parameter, the engine closing). */
export type RunEnd = { result: EngineResult } | { error: unknown };

export interface PendingRunsOptions {
  now?: () => number;
  maxFinished?: number;
  maxFinishedBytes?: number;
  sweepMs?: number;
}

/** What a cancel found: a run it stopped, one that had ended already, or none by that id. */
export type CancelAnswer = 'cancelled' | 'finished' | 'unknown';

interface Entry {
  readonly done: Promise<RunEnd>;
  readonly controller: AbortController;
  end: RunEnd | null;
  expiresAt: number;
  bytes: number;
  /** Requests waiting for it now. */
  waiters: number;
  /** When the last request stopped waiting (or the run started). */
  lastAsked: number;
}

export class PendingRuns {
  private readonly entries = new Map<string, Entry>();
  /** Finished entries in the order they finished: the first is the first to go. */
  private readonly finished = new Map<string, Entry>();
  private finishedBytes = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly maxFinished: number;
  private readonly maxFinishedBytes: number;

  constructor(options: PendingRunsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxFinished = options.maxFinished ?? MAX_FINISHED;
    this.maxFinishedBytes = options.maxFinishedBytes ?? MAX_FINISHED_BYTES;
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * Starts `run` under `runId`, unless a run with that id is known already: a client that sends
   * its start again (its first request timed out) joins the run it started.
   */
  start(runId: string, run: (signal: AbortSignal) => Promise<EngineResult>): void {
    if (this.entries.has(runId)) return;
    const controller = new AbortController();
    const done = run(controller.signal).then((result): RunEnd => ({ result }), (error: unknown): RunEnd => ({ error }));
    const entry: Entry = { done, controller, end: null, expiresAt: Infinity, bytes: 0, waiters: 0, lastAsked: this.now() };
    this.entries.set(runId, entry);
    void done.then((end) => this.settle(runId, entry, end));
  }

  /**
   * The run's end once it has ended, waiting at most `waitMs`; null while it is still running;
   * undefined for an id that is not (or no longer) known.
   */
  async wait(runId: string, waitMs: number): Promise<RunEnd | null | undefined> {
    const entry = this.entries.get(runId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.forget(runId);
      return undefined;
    }
    if (!entry.end) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), waitMs);
      });
      entry.waiters += 1;
      try {
        await Promise.race([entry.done, timeout]);
      } finally {
        clearTimeout(timer);
        entry.waiters -= 1;
        entry.lastAsked = this.now();
      }
    }
    if (!entry.end) return null;
    entry.expiresAt = Math.min(entry.expiresAt, this.now() + KEEP_FETCHED_MS);
    return entry.end;
  }

  /**
   * Cancels a run still going (it then ends as cancelled, which a later wait answers; a run
   * shared with identical requests goes on for them). Its answer is kept if it has ended.
   */
  cancel(runId: string): CancelAnswer {
    const entry = this.entries.get(runId);
    if (!entry) return 'unknown';
    if (entry.end) return 'finished';
    entry.controller.abort();
    return 'cancelled';
  }

  /** The ids of the runs known now, going or finished. */
  runIds(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets every run (the server is closing); runs still going end unobserved. */
  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.finished.clear();
    this.finishedBytes = 0;
  }

  private settle(runId: string, entry: Entry, end: RunEnd): void {
    if (this.entries.get(runId) !== entry) return;
    entry.end = end;
    entry.expiresAt = this.now() + KEEP_FINISHED_MS;
    entry.bytes = 'result' in end && end.result.outcome.ok ? end.result.outcome.body.byteLength : 0;
    this.finished.set(runId, entry);
    this.finishedBytes += entry.bytes;
    for (const [oldId] of this.finished) {
      if (this.finished.size <= this.maxFinished && this.finishedBytes <= this.maxFinishedBytes) break;
      if (oldId === runId) break;
      this.forget(oldId);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [runId, entry] of this.finished) if (entry.expiresAt <= now) this.forget(runId);
    for (const entry of this.entries.values()) {
      if (!entry.end && entry.waiters === 0 && now - entry.lastAsked >= LEASE_MS) entry.controller.abort();
    }
  }

  private forget(runId: string): void {
    const entry = this.finished.get(runId);
    if (!entry) return;
    this.finished.delete(runId);
    this.entries.delete(runId);
    this.finishedBytes -= entry.bytes;
  }
}
